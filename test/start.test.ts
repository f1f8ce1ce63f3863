import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import path from 'node:path';
import { freePort, waitUntil } from '../worker/net';
import { scratchDir } from './support/env';

// `npm start` on its embedded default: a real dev server with its UI, the worker and the ingress,
// all stopped cleanly on SIGTERM.
test('npm start runs the embedded Temporal server, worker and ingress, and stops them on SIGTERM', async () => {
  const [temporalPort, uiPort, httpPort] = [await freePort(), await freePort(), await freePort()];
  const env = { ...process.env, LEAKSTOP_DATA_DIR: scratchDir('start'), LEAKSTOP_TEMPORAL_PORT: String(temporalPort), LEAKSTOP_TEMPORAL_UI_PORT: String(uiPort), LEAKSTOP_HTTP_PORT: String(httpPort), LEAKSTOP_HTTP_HOST: '127.0.0.1' };
  delete (env as NodeJS.ProcessEnv).TEMPORAL_ADDRESS;
  const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(__dirname, '..', 'worker', 'main.ts')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    await waitUntil(async () => out.includes('"msg":"ready.'), 60_000, () => `npm start did not get ready:\n${out}`);
    expect(out).toContain(`UI http://localhost:${uiPort}`);
    expect(out).toContain('worker polling task queue leakstop in namespace default');
    expect((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${uiPort}/`)).status).toBe(200);
    // The embedded UI asks Leakstop's codec server to decrypt payloads for people.
    const settings = (await (await fetch(`http://127.0.0.1:${uiPort}/api/v1/settings`)).json()) as { Codec: { Endpoint: string } };
    expect(settings.Codec.Endpoint).toBe(`http://localhost:${httpPort}/codec`);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // The dev server went down with it.
    const open = await new Promise<boolean>((r) => {
      const s = connect(temporalPort, '127.0.0.1', () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    expect(open).toBe(false);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
