import { z } from 'zod';

// The contract between the buttons the notifier renders and the Slack trigger that handles them.
// It lives with the notifier because the notifier writes it first; the trigger only reads it.

export const ACTIONS = {
  approve: 'leakstop_approve',
  decide: 'leakstop_decide',
  done: 'leakstop_done',
  abort: 'leakstop_abort',
} as const;
export type ActionName = keyof typeof ACTIONS;

/** Slack wants every action_id in a message unique; parallel waits would otherwise repeat one. */
export const actionId = (name: ActionName, n: number) => `${ACTIONS[name]}:${n}`;
export const actionPattern = (name: ActionName) => new RegExp(`^${ACTIONS[name]}(:\\d+)?$`);

const ButtonValueSchema = z.strictObject({
  incidentId: z.string().min(1).max(200),
  phase: z.string().min(1).max(100).optional(),
  step: z.string().min(1).max(500).optional(),
  decision: z.enum(['retry', 'skip', 'abort']).optional(),
});
export type ButtonValue = z.infer<typeof ButtonValueSchema>;

/** Button values are limited to 2000 characters by Slack. */
export function encodeButton(v: ButtonValue): string {
  const out = JSON.stringify(v);
  if (out.length > 2000) throw new Error(`button value for ${v.incidentId} exceeds Slack's 2000 characters`);
  return out;
}

/** Values come back from Slack unchanged, but a signed request is still input: parse, never trust. */
export function decodeButton(raw: string | undefined): ButtonValue | undefined {
  if (!raw) return undefined;
  try {
    const r = ButtonValueSchema.safeParse(JSON.parse(raw));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}
