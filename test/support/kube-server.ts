import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../../worker/config';
import { freePort, waitUntil, withFreshPorts } from '../../worker/net';

// A throwaway Kubernetes control plane for the run: Debian's etcd, and kube-apiserver and
// kube-controller-manager built from the Go modules by scripts/setup-kubernetes.sh into .tools/kubernetes.
// No kubelet and no scheduler: pods never run, but the deployment controller makes ReplicaSets, which is
// what a rollout restart is judged by here.
//
// Authentication: a static token file (an administrator in system:masters, and a user with no rights).
// Authorization: RBAC, as real clusters run it, so a refusal (403) is the API server's own and the tests
// can prove Leakstop says it as "denied"; RBAC's bootstrap roles cost well under a second of start-up.
// Secrets are encrypted at rest (secretbox), so a secret value found anywhere in etcd's files is a leak
// by someone other than the Secret itself. The audit log records every request, Secrets at Metadata
// level (their bodies hold values by design, as in the policies clusters use), everything else with its
// request and response: a value Leakstop put anywhere else (an annotation, a query) would show there.

export interface KubeServer {
  /** The API server, https on loopback. */
  server: string;
  /** The CA (PEM) that signs the API server's certificate (the server made both at start), and its file. */
  ca: string;
  caFile: string;
  /** An administrator's bearer token (group system:masters). */
  token: string;
  /** A user's token that RBAC grants nothing. */
  deniedToken: string;
  dir: string;
  /** etcd's data folder, the API server's audit log, and the three programs' output. */
  etcdDir: string;
  auditLog: string;
  logs: string[];
  stop(): Promise<void>;
}

const TOOLS = path.join(ROOT, '.tools', 'kubernetes');

export async function startKube(): Promise<KubeServer> {
  const apiserver = path.join(TOOLS, 'kube-apiserver');
  const kcm = path.join(TOOLS, 'kube-controller-manager');
  if (!existsSync(apiserver) || !existsSync(kcm)) throw new Error('kube-apiserver is not built: run `bash scripts/setup-kubernetes.sh` (builds it into .tools/kubernetes)');
  return withFreshPorts('kubernetes', 3, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'leakstop-kube-'));
    const procs: Proc[] = [];
    try {
      return await startIn(dir, apiserver, kcm, procs);
    } catch (err) {
      await Promise.all(procs.reverse().map((p) => p.stop()));
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  });
}

async function startIn(dir: string, apiserverBin: string, kcmBin: string, procs: Proc[]): Promise<KubeServer> {
  const [etcdClient, etcdPeer, securePort] = [await freePort(), await freePort(), await freePort()];
  const file = (name: string, content: string) => {
    writeFileSync(path.join(dir, name), content, { mode: 0o600 });
    return path.join(dir, name);
  };
  const token = `admin-${randomUUID()}`;
  const deniedToken = `nobody-${randomUUID()}`;
  const tokens = file('tokens.csv', `${token},leakstop-admin,uid-admin,"system:masters"\n${deniedToken},nobody,uid-nobody\n`);
  const sa = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const encryption = file(
    'encryption.yaml',
    `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - secretbox: { keys: [{ name: key1, secret: ${randomBytes(32).toString('base64')} }] }\n      - identity: {}\n`,
  );
  const audit = file(
    'audit-policy.yaml',
    `apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n  - level: Metadata\n    resources: [{ group: "", resources: [secrets] }]\n  - level: RequestResponse\n`,
  );
  const etcdDir = path.join(dir, 'etcd');
  const auditLog = path.join(dir, 'audit.log');
  const certDir = path.join(dir, 'certs');
  mkdirSync(certDir);

  const etcdUrl = `http://127.0.0.1:${etcdClient}`;
  const peerUrl = `http://127.0.0.1:${etcdPeer}`;
  procs.push(
    run('etcd', dir, [
      '--name=leakstop', `--data-dir=${etcdDir}`, `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`, `--initial-cluster=leakstop=${peerUrl}`,
      '--logger=zap', '--log-level=warn',
    ]),
  );
  const server = `https://127.0.0.1:${securePort}`;
  procs.push(
    run(apiserverBin, dir, [
      `--etcd-servers=${etcdUrl}`, '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${securePort}`,
      // No kubernetes Service endpoints: the API server's loopback address may not be published there.
      '--endpoint-reconciler-type=none',
      `--cert-dir=${certDir}`, `--token-auth-file=${tokens}`, '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc', `--service-account-key-file=${file('sa.pub', sa.publicKey)}`,
      `--service-account-signing-key-file=${file('sa.key', sa.privateKey)}`, '--service-cluster-ip-range=10.0.0.0/24',
      `--encryption-provider-config=${encryption}`, `--audit-policy-file=${audit}`, `--audit-log-path=${auditLog}`,
      '--profiling=false', '--v=1',
    ]),
  );
  // The API server made its own serving certificate and the CA that signs it (both in the .crt file).
  const certFile = path.join(certDir, 'apiserver.crt');
  const exited = () => procs.find((p) => p.exitCode !== undefined);
  const ready = async () => !!exited() || (existsSync(certFile) && (await get(server, '/readyz', readFileSync(certFile, 'utf8'), token)) === 200);
  await waitUntil(ready, 60_000, () => `kube-apiserver did not become ready: ${procs.map((p) => p.describe()).join('\n')}`);
  if (exited()) throw new Error(`Kubernetes did not start: ${exited()!.describe()}`);
  const ca = readFileSync(certFile, 'utf8');

  const kubeconfig = file(
    'controller-manager.kubeconfig',
    JSON.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'kcm',
      clusters: [{ name: 'local', cluster: { server, 'certificate-authority': certFile } }],
      users: [{ name: 'kcm', user: { token } }],
      contexts: [{ name: 'kcm', context: { cluster: 'local', user: 'kcm' } }],
    }),
  );
  // The controllers a rollout needs: deployments make ReplicaSets, ReplicaSets ask for pods, StatefulSets
  // and DaemonSets record ControllerRevisions, and the default service account lets pods be admitted
  // (they are then never scheduled; with no node, a DaemonSet asks for none).
  procs.push(run(kcmBin, dir, [`--kubeconfig=${kubeconfig}`, '--controllers=deployment,replicaset,statefulset,daemonset,serviceaccount', '--leader-elect=false', '--secure-port=0', '--v=1']));

  return {
    server,
    ca,
    caFile: certFile,
    token,
    deniedToken,
    dir,
    etcdDir,
    auditLog,
    logs: procs.map((p) => p.logFile),
    async stop() {
      for (const p of procs.reverse()) await p.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Proc {
  exitCode: number | null | undefined;
  logFile: string;
  describe(): string;
  stop(): Promise<void>;
}

/** A program whose output goes to `<dir>/<name>.log`; stop() ends it (SIGTERM, then SIGKILL after 5 s). */
function run(bin: string, dir: string, args: string[]): Proc {
  const name = path.basename(bin);
  const logFile = path.join(dir, `${name}.log`);
  const out = createWriteStream(logFile);
  const child: ChildProcess = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  const proc: Proc = {
    exitCode: undefined,
    logFile,
    describe: () => `${name}${proc.exitCode !== undefined ? ` exited (${proc.exitCode})` : ''}: ${tail(logFile)}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== undefined) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
  child.once('exit', (code) => (proc.exitCode = code));
  return proc;
}

const tail = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(-3).join('\n') : '');

/** GET `p` on the API server with the given CA and token; resolves to the status code. */
function get(server: string, p: string, ca: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${server}${p}`, { ca, headers: { authorization: `Bearer ${token}` }, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', reject);
    req.end();
  });
}
