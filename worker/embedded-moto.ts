import { spawn, type ChildProcess } from 'node:child_process';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './config';
import { freePort, waitUntil, withFreshPorts } from './net';

const MOTO = path.join(ROOT, '.tools', 'venv', 'bin', 'moto_server');

export interface Moto {
  endpoint: string;
  stop(): Promise<void>;
}

/** The moto AWS emulator, for the demo and the tests (installed by `npm run setup`). */
export async function startMoto(port?: number): Promise<Moto> {
  if (!existsSync(MOTO)) throw new Error('moto_server is not installed: run `npm run setup` (installs moto[server] from PyPI into .tools/)');
  return withFreshPorts('moto', port === undefined ? 3 : 1, async () => startMotoOn(port ?? (await freePort())));
}

async function startMotoOn(p: number): Promise<Moto> {
  const child: ChildProcess = spawn(MOTO, ['-H', '127.0.0.1', '-p', String(p)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
  const endpoint = `http://127.0.0.1:${p}`;
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  try {
    // A moto that exited (e.g. its port was taken) will never answer: stop waiting at once.
    await waitUntil(async () => exited !== undefined || (await fetch(`${endpoint}/moto-api/data.json`, { signal: AbortSignal.timeout(2000) })).ok, 30_000, () => `moto did not start: ${stderr}`);
    if (exited !== undefined) throw new Error(`moto exited with code ${exited}: ${stderr.trim().split('\n').pop() ?? ''}`);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * Creates an admin IAM user in moto and then turns on moto's request authentication, so from here on
 * every call must be signed with a real key that exists: a deleted key is rejected as AWS rejects it.
 * Returns the admin's key, which Leakstop then uses as its own AWS identity.
 */
export async function enforceMotoAuth(endpoint: string): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const iam = new IAMClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'bootstrap', secretAccessKey: 'bootstrap' } });
  await iam.send(new CreateUserCommand({ UserName: 'leakstop-admin' }));
  await iam.send(
    new PutUserPolicyCommand({
      UserName: 'leakstop-admin',
      PolicyName: 'admin',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
    }),
  );
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'leakstop-admin' }))).AccessKey!;
  iam.destroy();
  const auth = await fetch(`${endpoint}/moto-api/reset-auth`, { method: 'POST', body: '0' });
  if (!auth.ok) throw new Error(`moto refused to enforce auth: ${auth.status}`);
  return { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
}
