import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { z } from 'zod';
import { redact } from '../../domain/redact';
import { ConfigError } from '../../domain/inventory';
import { ValidationError } from '../../domain/issues';

// How the Slack trigger answers people: ephemerally, to the person who asked, and in words.

/**
 * What a modal must remember about where it was opened, carried in its private_metadata because a
 * view submission says nothing about the channel or the command it came from.
 */
const ViewContextSchema = z.strictObject({
  responseUrl: z.url().optional(),
  incidentId: z.string().max(200).optional(),
  channel: z.string().max(50).optional(),
  threadTs: z.string().max(50).optional(),
  /** The manual step a replacement credential is for. */
  step: z.string().max(500).optional(),
});
export type ViewContext = z.infer<typeof ViewContextSchema>;

export const encodeContext = (c: ViewContext) => JSON.stringify(c);

export function decodeContext(raw: string | undefined): ViewContext {
  try {
    const r = ViewContextSchema.safeParse(JSON.parse(raw || '{}'));
    return r.success ? r.data : {};
  } catch {
    return {};
  }
}

/** Posts an ephemeral message through a response_url (valid 30 minutes, five times). */
export async function replyVia(responseUrl: string | undefined, text: string): Promise<void> {
  if (!responseUrl) return;
  const res = await fetch(responseUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }),
    // The URL came in a request Slack signed; where it redirects to, nobody vouched for.
    redirect: 'error',
  });
  if (!res.ok) throw new Error(`response_url answered ${res.status}`);
}

/** An error as the person who clicked should read it. The workflow's validators name the field. */
export function errorText(err: unknown, what: string): string {
  if (err instanceof WorkflowUpdateFailedError) return `${what} was refused: ${redact(err.cause?.message ?? err.message)}`;
  if (err instanceof WorkflowNotFoundError) return `${what} failed: that incident does not exist (or has ended and was cleaned up)`;
  if (err instanceof ValidationError || err instanceof ConfigError) return `${what} failed: ${redact(err.message)}`;
  const message = err instanceof Error ? err.message : String(err);
  return `${what} failed: ${redact(message.split('\n')[0] ?? '')}`;
}
