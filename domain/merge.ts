/**
 * For a consumer that merges (`merge: true`, such as a place discovery found): the credential's JSON
 * entries laid over the JSON object the store holds, so its other keys stay. When either is not a JSON
 * object, the value replaces what is there.
 */
export function mergeJson(current: string | undefined, value: string): string {
  const base = objectIn(current);
  const entries = objectIn(value);
  return base && entries ? JSON.stringify({ ...base, ...entries }) : value;
}

function objectIn(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A JSON object whose values are all strings (environment variables, a secret's fields), or undefined. */
export function stringsObjectIn(text: string): Record<string, string> | undefined {
  const v = objectIn(text);
  return v && Object.values(v).every((x) => typeof x === 'string') ? (v as Record<string, string>) : undefined;
}
