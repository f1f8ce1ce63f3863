import type { z } from 'zod';

/**
 * Renders zod issues for people: one line per problem, each naming the field by its path,
 * e.g. `credentials[0].consumers[1].store: unknown store "vault" (defined: prod-sm, prod-ssm)`.
 */
export function formatIssues(error: z.ZodError, root = 'input'): string {
  return error.issues.map((issue) => `${fieldPath(issue.path, root)}: ${issue.message}`).join('\n');
}

export function fieldPath(path: ReadonlyArray<PropertyKey>, root = 'input'): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || root;
}

/** A rejected input. `message` is already written for people; `fields` lists each bad field. */
export class ValidationError extends Error {
  readonly fields: string[];
  constructor(what: string, error: z.ZodError, root = 'input') {
    super(`${what} is invalid:\n${formatIssues(error, root)}`);
    this.name = 'ValidationError';
    this.fields = error.issues.map((i) => fieldPath(i.path, root));
  }
}

export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(what, result.error);
  return result.data;
}

export type Checked<T> = { ok: true; input: T } | { ok: false; message: string; fields: string[] };

/** The incident input checked, as data: the workflow turns a failure into a non-retryable error naming the fields. */
export function checkIncidentInput<S extends z.ZodType>(schema: S, raw: unknown): Checked<z.output<S>> {
  const r = schema.safeParse(raw);
  if (r.success) return { ok: true, input: r.data };
  const { message, fields } = new ValidationError('incident input', r.error);
  return { ok: false, message, fields };
}
