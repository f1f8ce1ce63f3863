import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startEmbeddedTemporal } from '../../worker/embedded-temporal';
import { startMoto } from '../../worker/embedded-moto';
import { WORKFLOWS_PATH } from '../../worker/wiring';
import type { TestEnv } from './env';

/**
 * Starts the real servers the suite shares: a Temporal dev server (headless, SQLite in a temp dir)
 * and moto with authentication enforced. Every AWS call in the tests is then signed with a real
 * IAM key of an admin user, so a deleted key is rejected exactly as AWS would reject it.
 */
export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'leakstop-test-'));
  const [temporal, moto] = await Promise.all([startEmbeddedTemporal({ dataDir: path.join(dir, 'temporal') }), startMoto()]);
  (globalThis as Record<string, unknown>).__leakstop = { temporal, moto, dir };

  const iam = new IAMClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'bootstrap', secretAccessKey: 'bootstrap' } });
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
  const auth = await fetch(`${moto.endpoint}/moto-api/reset-auth`, { method: 'POST', body: '0' });
  if (!auth.ok) throw new Error(`moto refused to enforce auth: ${auth.status}`);

  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);

  const env: TestEnv = {
    dir,
    temporalAddress: temporal.address,
    motoEndpoint: moto.endpoint,
    admin: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! },
    bundlePath,
  };
  process.env.LEAKSTOP_TEST_ENV = JSON.stringify(env);
}

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => console.error(m) };
