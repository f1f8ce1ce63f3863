import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Polls until `ready` resolves true; rejects with `describe()` after `timeoutMs`. Never hangs. */
export async function waitUntil(ready: () => Promise<boolean>, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(describe());
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A port picked by `freePort` is free when picked, not when the server binds it: another process can
 * take it in between, and the server then exits at once. `start` is retried on fresh ports (it picks them
 * itself) up to `attempts` times; the last error is the one thrown.
 */
export async function withFreshPorts<T>(what: string, attempts: number, start: () => Promise<T>, warn: (s: string) => void = console.error): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= attempts) throw err;
      warn(`${what} did not start (attempt ${attempt} of ${attempts}), retrying on fresh ports: ${(err as Error).message.split('\n')[0]}`);
    }
  }
}
