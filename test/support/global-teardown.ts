import { rmSync } from 'node:fs';
import type { EmbeddedTemporal } from '../../worker/embedded-temporal';
import type { Moto } from '../../worker/embedded-moto';

export default async function globalTeardown(): Promise<void> {
  const s = (globalThis as Record<string, unknown>).__leakstop as { temporal: EmbeddedTemporal; moto: Moto; dir: string } | undefined;
  if (!s) return;
  await Promise.allSettled([s.temporal.stop(), s.moto.stop()]);
  rmSync(s.dir, { recursive: true, force: true });
}
