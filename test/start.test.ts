import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import path from 'node:path';
import { freePort, waitUntil } from '../worker/net';
import { loadCodecKeys } from '../worker/codec';
import { connectClient } from '../worker/temporal-client';
import { eventually, leakedKey, scratchDir, testEnv } from './support/env';
import { signedGeneric } from './webhooks/harness';

// `npm start` on its embedded default: a real dev server with its UI, the worker and the ingress,
// all stopped cleanly on SIGTERM.
test('npm start runs the embedded Temporal server, worker and ingress (reports start eagerly on its own worker), and stops them on SIGTERM', async () => {
  const [temporalPort, uiPort, httpPort] = [await freePort(), await freePort(), await freePort()];
  const secret = 'start-test-webhook-secret';
  const t = testEnv();
  const env = { ...process.env, LEAKSTOP_GENERIC_WEBHOOK_SECRET: secret, LEAKSTOP_AWS_ENDPOINT: t.motoEndpoint, AWS_ACCESS_KEY_ID: t.admin.accessKeyId, AWS_SECRET_ACCESS_KEY: t.admin.secretAccessKey, AWS_REGION: 'us-east-1', LEAKSTOP_DATA_DIR: scratchDir('start'), LEAKSTOP_TEMPORAL_PORT: String(temporalPort), LEAKSTOP_TEMPORAL_UI_PORT: String(uiPort), LEAKSTOP_HTTP_PORT: String(httpPort), LEAKSTOP_HTTP_HOST: '127.0.0.1' };
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

    // A report through the ingress starts its incident on this process's worker with eager workflow start:
    // the first workflow task is handed back in the start's answer, so the server records it as started by
    // the start request itself, not by a worker's poll of the task queue.
    const leak = await leakedKey('start-eager');
    const body = JSON.stringify({ provider: 'aws-iam', credentialId: leak.keyId, requestedBy: 'scanner', exposure: { source: 'generic', public: true } });
    const res = await fetch(`http://127.0.0.1:${httpPort}/webhooks/generic`, { method: 'POST', body, headers: signedGeneric(body, { secret }) });
    expect(res.status).toBe(202);
    const { incidentId } = (await res.json()) as { incidentId: string };
    const { client, close } = await connectClient({ address: `127.0.0.1:${temporalPort}`, keys: loadCodecKeys(env.LEAKSTOP_DATA_DIR) });
    try {
      const events = await eventually(async () => {
        const h = (await client.workflow.getHandle(incidentId).fetchHistory()).events ?? [];
        return h.some((e) => e.workflowTaskCompletedEventAttributes) ? h : undefined;
      });
      const [started, scheduled, taskStarted] = events;
      expect([started?.workflowExecutionStartedEventAttributes, scheduled?.workflowTaskScheduledEventAttributes, taskStarted?.workflowTaskStartedEventAttributes].every(Boolean)).toBe(true);
      // The start request's id, as the server keeps it (request id infos, server 1.27+).
      const info = (await client.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: incidentId } })).workflowExtendedInfo;
      const startRequest = Object.entries(info?.requestIdInfos ?? {}).find(([, v]) => String(v.eventId) === '1')?.[0];
      expect(startRequest).toBeDefined();
      expect(taskStarted!.workflowTaskStartedEventAttributes!.requestId).toBe(startRequest);
    } finally {
      await close();
    }

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
