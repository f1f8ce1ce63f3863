import { rmSync } from 'node:fs';
import type { EmbeddedTemporal } from '../../worker/embedded-temporal';
import type { Moto } from '../../worker/embedded-moto';
import type { PostgresServer } from './postgres-server';
import type { Verdaccio } from './verdaccio-server';
import type { OpenBao } from './openbao-server';
import type { KubeServer } from './kube-server';

export default async function globalTeardown(): Promise<void> {
  await ((globalThis as Record<string, unknown>).__leakstopPostgres as PostgresServer | undefined)?.stop();
  await ((globalThis as Record<string, unknown>).__leakstopNpm as Verdaccio | undefined)?.stop();
  await ((globalThis as Record<string, unknown>).__leakstopOpenBao as OpenBao | undefined)?.stop();
  await ((globalThis as Record<string, unknown>).__leakstopKube as KubeServer | undefined)?.stop();
  const s = (globalThis as Record<string, unknown>).__leakstop as { temporal: EmbeddedTemporal; moto: Moto; dir: string } | undefined;
  if (!s) return;
  await Promise.allSettled([s.temporal.stop(), s.moto.stop()]);
  rmSync(s.dir, { recursive: true, force: true });
}
