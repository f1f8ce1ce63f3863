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
