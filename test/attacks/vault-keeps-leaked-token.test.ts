import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { secretId } from '../../domain/fingerprint';
import type { IncidentState } from '../../domain/incident';
import { LocalFileVault } from '../../providers/local-vault/vault';
import { keepSecret } from '../../triggers/keep-secret';
import { FakeGitHub } from '../github/server';
import { classicToken } from '../github/tokens';
import { controlFor, startWorker, uniqueQueue, useTemporal } from '../support/env';
import { report, waitForState } from '../support/fixtures';

// Smaller finding: a leaked token and what identify learned beside it (its owner, its scopes) stayed in
// the vault forever; only the new key was deleted. Whoever later reads the vault's disk (a backup, a
// stolen volume) got live-looking tokens of past incidents. What an incident no longer needs goes when it ends.

let client: Client;
const github = new FakeGitHub();
useTemporal((c) => (client = c), github);

const vaultFiles = (dataDir: string) => readdirSync(path.join(dataDir, 'vault')).filter((f) => f.endsWith('.vault'));

test('when an incident ends, its leaked token and the facts kept beside it leave the vault', async () => {
  const pat = classicToken();
  github.addToken(pat, { login: 'octocat-vault', kind: 'classic-pat', scopes: ['repo'] });
  const taskQueue = uniqueQueue('vault-forget');
  const worker = await startWorker({ taskQueue, inventory: '{}', github: { baseUrl: github.url } });
  try {
    // As a trigger does it: the token into the worker's vault, the incident named by its hash.
    await keepSecret(new LocalFileVault(path.join(worker.dataDir, 'vault')), 'leaked', 'github-token', pat);
    const input = { provider: 'github-token', credentialId: secretId(pat), requestedBy: 'scanner', exposure: { source: 'generic', public: true } };
    const { incidentId } = await report(client, taskQueue, input);
    // Identified (facts kept), revoked, and now waiting for a person to create the replacement.
    await waitForState(client, incidentId, (s) => s.waiting.some((w) => w.kind === 'manual'));
    expect(vaultFiles(worker.dataDir).length).toBe(2); // the leaked token and its facts, while the incident needs them

    await controlFor(client, taskQueue).abort(incidentId, { by: 'carol', reason: 'replacement handled elsewhere' });
    const s: IncidentState = await client.workflow.getHandle(incidentId).result();
    expect(s.status).toBe('aborted');
    expect(s.revocation).toBeUndefined();
    expect(vaultFiles(worker.dataDir)).toEqual([]);
  } finally {
    await worker.stop();
  }
});
