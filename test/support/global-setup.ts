import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startEmbeddedTemporal } from '../../worker/embedded-temporal';
import { enforceMotoAuth, startMoto } from '../../worker/embedded-moto';
import { startPostgres } from './postgres-server';
import { startVerdaccio } from './verdaccio-server';
import { createSecondAccount } from './second-account';
import { startOpenBao } from './openbao-server';
import { startKube } from './kube-server';
import { WORKFLOWS_PATH } from '../../worker/wiring';
import { FAILURE_CONVERTER_PATH } from '../../worker/data-converter';
import { randomBytes } from 'node:crypto';
import type { TestEnv } from './env';

/**
 * Starts the real servers the suite shares: a Temporal dev server (headless, SQLite in a temp dir)
 * and moto with authentication enforced. Every AWS call in the tests is then signed with a real
 * IAM key of an admin user, so a deleted key is rejected exactly as AWS would reject it.
 */
export default async function globalSetup(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'; // said once, in the README
  const dir = mkdtempSync(path.join(tmpdir(), 'leakstop-test-'));
  // Kubernetes (etcd, kube-apiserver, kube-controller-manager) for the Kubernetes provider's tests
  // (test/kubernetes): its start (a few seconds of API server post-start hooks) overlaps the others'.
  const kubeStarting = startKube();
  kubeStarting.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
  // One after the other, so a port picked free for one is not taken by the other before it binds (each
  // also retries on fresh ports). The web UI is on so the browser test can start an incident from it.
  const moto = await startMoto();
  const temporal = await startEmbeddedTemporal({ dataDir: path.join(dir, 'temporal'), ui: true });
  // PostgreSQL for the PostgreSQL provider's tests (test/postgres): initdb in a temp folder, a free loopback port.
  const postgres = await startPostgres();
  (globalThis as Record<string, unknown>).__leakstopPostgres = postgres;
  // An npm registry (Verdaccio, htpasswd accounts, no uplinks) for the npm token provider's tests (test/npm).
  const npm = await startVerdaccio();
  (globalThis as Record<string, unknown>).__leakstopNpm = npm;
  // OpenBao's dev server (in memory, KV v2 at secret/) for the OpenBao store's tests (test/openbao).
  const openbao = await startOpenBao();
  (globalThis as Record<string, unknown>).__leakstopOpenBao = openbao;
  const kube = await kubeStarting;
  (globalThis as Record<string, unknown>).__leakstopKube = kube;
  (globalThis as Record<string, unknown>).__leakstop = { temporal, moto, dir };

  // A member account for the multi-account tests (test/aws-multi-account.test.ts), made while moto still lets it.
  const secondAccount = await createSecondAccount(moto.endpoint);
  const admin = await enforceMotoAuth(moto.endpoint);

  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, failureConverterPath: FAILURE_CONVERTER_PATH, logger: quietLogger });
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);

  const env: TestEnv = {
    dir,
    temporalAddress: temporal.address,
    motoEndpoint: moto.endpoint,
    admin,
    secondAccount,
    bundlePath,
    uiUrl: temporal.uiUrl!,
    postgres: { host: postgres.host, port: postgres.port, superuser: postgres.superuser, password: postgres.password, admin: postgres.admin, logFile: postgres.logFile },
    npm: { registry: npm.url },
    openbao: { address: openbao.address, token: openbao.token },
    kube: { server: kube.server, caFile: kube.caFile, token: kube.token, deniedToken: kube.deniedToken, etcdDir: kube.etcdDir, auditLog: kube.auditLog, logs: kube.logs },
  };
  process.env.LEAKSTOP_TEST_ENV = JSON.stringify(env);
  // The OpenBao store reads its token from the environment (its spec's tokenEnv, this by default).
  process.env.LEAKSTOP_OPENBAO_TOKEN = openbao.token;
  // The Kubernetes clusters' tokens are read from the environment too (providers.kubernetes.clusters.*.tokenEnv).
  process.env.LEAKSTOP_KUBE_TOKEN = kube.token;
  // Every client and worker of the run (child processes too) encrypts with this key.
  process.env.LEAKSTOP_CODEC_KEYS = `test-1:${randomBytes(32).toString('base64')}`;
}

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => console.error(m) };
