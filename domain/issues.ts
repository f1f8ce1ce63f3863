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
  constructor(what: string, error: z.ZodError | { field: string; message: string }[], root = 'input') {
    const problems = Array.isArray(error) ? error : error.issues.map((i) => ({ field: fieldPath(i.path, root), message: i.message }));
    super(`${what} is invalid:\n${problems.map((p) => `${p.field}: ${p.message}`).join('\n')}`);
    this.name = 'ValidationError';
    this.fields = problems.map((p) => p.field);
  }

  /** Problems found by code rather than by a schema, each naming its field. */
  static of(what: string, problems: { field: string; message: string }[]): ValidationError {
    return new ValidationError(what, problems);
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
