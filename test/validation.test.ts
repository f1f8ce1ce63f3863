import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure, WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { incidentIdFor } from '../domain/fingerprint';
import { ConfigError } from '../domain/inventory';
import { parseInventory } from '../providers';
import { ValidationError, parseOrThrow } from '../domain/issues';
import { catalog } from '../providers';

const { IncidentInputSchema } = catalog;
import { cli } from '../triggers/cli';
import { reportLeak } from '../triggers/incidents';
import { loadInventory } from '../worker/config';
import { INCIDENT_WORKFLOW_TYPE } from '../workflows/definitions';
import { scratchDir, startWorker, testEnv, uniqueQueue, useTemporal } from './support/env';

// Bad input gets a message that names each field, and starts nothing.

const validId = 'AKIAIOSFODNN7EXAMPLE';
const good = { provider: 'aws-iam', credentialId: validId, exposure: { source: 'cli' }, requestedBy: 'alice' };

function rejection(schemaInput: unknown): ValidationError {
  try {
    parseOrThrow(IncidentInputSchema, schemaInput, 'incident input');
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
  throw new Error('input was accepted');
}

describe('incident input', () => {
  test('accepts a minimal valid report and fills in defaults', () => {
    expect(IncidentInputSchema.parse(good).exposure.public).toBe(false);
  });

  test('each bad field is named with its problem', () => {
    const err = rejection({ provider: 'aws-iam', credentialId: validId, exposure: { source: 'fax', line: -1, url: 'not a url' }, requestedBy: '' });
    expect(err.fields.sort()).toEqual(['exposure.line', 'exposure.source', 'exposure.url', 'requestedBy']);
    expect(err.message).toMatch(/^exposure\.line: .*>0/m);
    expect(err.message).toMatch(/^requestedBy: .*>=1 character/m);
  });

  test('an unknown provider is refused by name', () => {
    expect(rejection({ ...good, provider: 'azure' }).message).toContain('provider: must be one of: aws-iam');
  });

  test('a credential id of the wrong shape is refused, and the message does not echo it', () => {
    const err = rejection({ ...good, credentialId: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' });
    expect(err.message).toContain('credentialId: must be an AWS access key id');
    expect(err.message).not.toContain('wJalrXUtnFEMI');
  });

  test('unknown fields are refused rather than ignored', () => {
    expect(rejection({ ...good, secret: 'x' }).message).toMatch(/^input: Unrecognized key: "secret"/m);
  });
});

describe('inventory', () => {
  const base = 'stores:\n  prod-sm: { kind: aws-secrets-manager }\n';

  test('unparseable YAML says where', () => {
    expect(() => parseInventory('stores: [unclosed', 'inv.yaml')).toThrow(ConfigError);
    expect(() => parseInventory('stores: [unclosed', 'inv.yaml')).toThrow(/inv\.yaml is not valid YAML at line 1/);
  });

  test('a consumer naming a store that is not defined is refused with its path', () => {
    const text = `${base}credentials:\n  - provider: aws-iam\n    owner: bot\n    consumers:\n      - { name: api, store: vault, key: k }\n`;
    expect(() => parseInventory(text)).toThrow('credentials[0].consumers[0].store: unknown store "vault" (defined: prod-sm)');
  });

  test('an unknown store kind and an unknown provider are refused by path', () => {
    const text = `stores:\n  x: { kind: azure-keyvault }\ncredentials:\n  - provider: gcp\n    owner: bot\n`;
    const err = (() => {
      try {
        parseInventory(text, 'inv.yaml');
      } catch (e) {
        return e as ValidationError;
      }
    })()!;
    expect(err.fields.sort()).toEqual(['credentials[0].provider', 'stores.x.kind']);
  });

  test('a missing inventory file is a clear error', async () => {
    await expect(loadInventory('/nonexistent/leakstop.yaml')).rejects.toThrow('cannot read inventory /nonexistent/leakstop.yaml: ENOENT');
  });

  test('the worker refuses to start on a bad inventory, naming the field', () => {
    const file = path.join(scratchDir('badinv'), 'inv.yaml');
    writeFileSync(file, `${base}credentials:\n  - provider: aws-iam\n    owner: bot\n    consumers:\n      - { name: api, store: nowhere, key: k }\n`);
    const r = spawnSync(process.execPath, ['-r', '@swc-node/register', path.join(__dirname, '..', 'worker', 'main.ts')], {
      env: { ...process.env, LEAKSTOP_CONFIG: file, TEMPORAL_ADDRESS: testEnv().temporalAddress },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('credentials[0].consumers[0].store: unknown store "nowhere"');
    expect(r.stdout).not.toContain('worker polling');
  });
});

describe('nothing starts on a rejected request', () => {
  let client: Client;
  useTemporal((c) => (client = c));

  test('reportLeak throws a ValidationError and no workflow exists', async () => {
    const bad = { ...good, credentialId: 'AKIA-not-a-key', requestedBy: '' };
    await expect(reportLeak(client, uniqueQueue('reject'), bad)).rejects.toThrow(ValidationError);
    await expect(client.workflow.getHandle(incidentIdFor('aws-iam', bad.credentialId)).describe()).rejects.toThrow(WorkflowNotFoundError);
  });

  test('the CLI prints the field errors and exits 2', async () => {
    const out: string[] = [];
    const env = { ...process.env };
    process.env.TEMPORAL_ADDRESS = testEnv().temporalAddress;
    try {
      expect(await cli(['incident', 'start', '--credential', 'AKIA123', '--by', 'x'], (l) => out.push(l))).toBe(2);
    } finally {
      process.env = env;
    }
    expect(out.join('\n')).toContain('credentialId: must be an AWS access key id');
    await expect(client.workflow.getHandle(incidentIdFor('aws-iam', 'AKIA123')).describe()).rejects.toThrow(WorkflowNotFoundError);
  });

  test('started by hand (as from the Temporal UI) with bad input, the workflow fails at once naming the fields', async () => {
    const taskQueue = uniqueQueue('ui');
    const worker = await startWorker({ taskQueue, inventory: '{}' });
    try {
      const handle = await client.workflow.start(INCIDENT_WORKFLOW_TYPE, {
        taskQueue,
        workflowId: `ui-bad-${taskQueue}`,
        args: [{ provider: 'aws-iam', credentialId: 'nope', exposure: { source: 'temporal-ui' } }],
      });
      const err = await handle.result().catch((e) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
      expect(cause.type).toBe('ValidationError');
      expect(cause.nonRetryable).toBe(true);
      expect(cause.message).toMatch(/^credentialId: must be an AWS access key id/m);
      expect(cause.message).toMatch(/^requestedBy: /m);
      expect(cause.details?.[0]).toEqual(expect.arrayContaining(['credentialId', 'requestedBy']));
    } finally {
      await worker.stop();
    }
  });
});
