import type { z } from 'zod';
import { ExposureSchema } from '../../domain/schemas';

export type ExposureInput = z.input<typeof ExposureSchema>;
type Found = { [K in Exclude<keyof ExposureInput, 'source' | 'public'>]?: unknown };

/**
 * An exposure from what a sender reported. A value the exposure schema would refuse (an empty path,
 * line 0, a relative URL) is left out: a sender's odd detail must not turn a real leak into a 400.
 */
export function exposure(source: ExposureInput['source'], isPublic: boolean, found: Found): ExposureInput {
  const out: Record<string, unknown> = { source, public: isPublic };
  for (const [key, value] of Object.entries(found)) {
    const field = ExposureSchema.shape[key as keyof Found];
    if (value !== undefined && value !== null && field.safeParse(value).success) out[key] = value;
  }
  return out as ExposureInput;
}

/** Any date a sender writes, as the ISO form the schema wants; undefined when it is not a date. */
export function isoTime(value: string | null | undefined): string | undefined {
  const ms = value ? Date.parse(value) : NaN;
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

export const notes = (text: string) => text.slice(0, 2000);
