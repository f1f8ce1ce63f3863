import { incidentContext as baseIncidentContext } from '../support/fixtures';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { IncidentState } from '../../domain/incident';
import { LocalFileVault } from '../../providers/local-vault/vault';
import { slackTokenModule } from '../../providers/slack-token';
import { SLACK_TOKEN_ENV } from '../../providers/slack-token/settings';
import type { CredentialProvider, LeakedCredential } from '../../providers/types';
import type { NewCredential } from '../../domain/results';
import { keepSecret } from '../../triggers/keep-secret';
import { statusQuery } from '../../workflows/definitions';
import { findLeaks, historySinks } from '../support/canary';
import { scratchDir } from '../support/env';
import { SlackApiServer } from '../slack/slack-api-server';

// The Slack token provider as the worker builds it (the module's factory, a real vault on disk), against
// the local Slack Web API server; leaked and replacement tokens enter the vault the way triggers put them.

export class SlackTokenHarness {
  readonly slack = new SlackApiServer();
  readonly dir = scratchDir('slack-token');
  readonly vault = new LocalFileVault(path.join(this.dir, 'vault'));
  readonly refreshTokenFile = path.join(this.dir, 'refresh-tokens.json');
  /** Every token, URL and secret a test made, to check that none is ever written back. */
  readonly secrets: string[] = [];
  private client?: { clientId: string; clientSecret: string };

  async start() {
    await this.slack.start();
    return this;
  }

  stop() {
    return this.slack.stop();
  }

  /** The app's OAuth client, made on first use; Leakstop holds it only when a provider is built `withRotation`. */
  oauthClient() {
    if (!this.client) {
      this.client = this.slack.oauthClient();
      this.secrets.push(this.client.clientSecret);
    }
    return this.client;
  }

  /** The provider from slackTokenModule.create, configured in code as tests do (settings['slack-token']). */
  provider(o: { withRotation?: boolean; refreshTokens?: Record<string, string>; rateLimit?: { attempts: number; maxWaitSeconds: number } } = {}): CredentialProvider {
    if (o.refreshTokens) writeFileSync(this.refreshTokenFile, JSON.stringify(o.refreshTokens), { mode: 0o600 });
    const settings = {
      apiUrl: this.slack.apiUrl,
      ...(o.withRotation || o.refreshTokens ? this.oauthClient() : {}),
      ...(o.refreshTokens ? { refreshTokenFile: this.refreshTokenFile } : {}),
      ...(o.rateLimit ? { rateLimit: o.rateLimit } : {}),
    };
    return slackTokenModule.create({ vault: this.vault, env: {}, settings: { 'slack-token': settings } }).credential!;
  }

  /** A token Slack issued, remembered as a secret of the test. */
  token(...args: Parameters<SlackApiServer['issueToken']>): string {
    return this.remember(this.slack.issueToken(...args));
  }

  refreshToken(kind: 'bot' | 'user', installation: ReturnType<SlackApiServer['installation']>): string {
    return this.remember(this.slack.issueRefreshToken(kind, installation, this.oauthClient().clientId));
  }

  webhookUrl(teamId?: string): string {
    return this.remember(this.slack.webhookUrl(teamId));
  }

  /** The leaked secret handed over as a trigger does: kept in the vault, named by its hash. */
  async leak(secret: string): Promise<LeakedCredential> {
    const { id, handle } = await keepSecret(this.vault, 'leaked', 'slack-token', this.remember(secret));
    return { id, secretHandle: handle };
  }

  /** A replacement a person registered (`leakstop incident done --credential-file`). */
  async replacement(secret: string): Promise<NewCredential> {
    const { id, handle } = await keepSecret(this.vault, 'new', 'slack-token', this.remember(secret));
    return { id, handle, removed: [] };
  }

  /** Everything a rotation made (tokens issued by the server since), so they are checked too. */
  learnIssued(): void {
    for (const token of [...this.slack.issued.keys(), ...this.slack.refreshGrants.keys()]) this.remember(token);
  }

  /** No secret of the test, nor a recognisable part of one, in what the provider returned or threw. */
  expectNoSecretIn(...outputs: unknown[]): void {
    this.learnIssued();
    const text = outputs.map((o) => (o instanceof Error ? `${o.name}: ${o.message}\n${o.stack ?? ''}` : JSON.stringify(o))).join('\n');
    for (const secret of this.secrets) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(secret.slice(-12));
    }
  }

  private remember(secret: string): string {
    this.secrets.push(secret);
    return secret;
  }
}

export const incidentContext = () => baseIncidentContext('slack-token');

export { thrown } from '../support/fixtures';

// ---- Full incidents on a real worker (incident.test.ts, incidents-*.test.ts) ----

/** The variables an operator configures the module with (README, Configuration). */
export type SlackTokenEnv = Partial<Record<(typeof SLACK_TOKEN_ENV)[keyof typeof SLACK_TOKEN_ENV], string>>;

/**
 * Configures the module as an operator does, through the environment, while `start` runs: a worker reads
 * it once, when it builds its modules (a child process copies it when spawned). Then process.env is as it was.
 */
export async function withSlackEnv<T>(vars: SlackTokenEnv, start: () => Promise<T>): Promise<T> {
  const names = Object.values(SLACK_TOKEN_ENV);
  const before = new Map(names.map((name) => [name, process.env[name]]));
  for (const name of names) delete process.env[name];
  Object.assign(process.env, vars);
  try {
    return await start();
  } finally {
    for (const [name, value] of before) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/**
 * Every secret the local Slack made, by a name that says what it is: the tokens it issued (leaked ones,
 * replacements, what rotations made), its refresh tokens and its OAuth clients' secrets. Incoming webhook
 * URLs are not kept by the server: give them in `more`.
 */
export function slackSecrets(slack: SlackApiServer, more: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const [token, t] of slack.issued) out[`${t.rotating ? 'rotating ' : ''}${t.kind} token #${++n} of ${t.installation.team_id} (${t.state})`] = token;
  for (const [token, g] of slack.refreshGrants) out[`${g.kind} refresh token #${++n} of ${g.installation.team_id}${g.spent ? ' (spent)' : ''}`] = token;
  for (const [clientId, secret] of slack.oauthClients) out[`client secret of ${clientId}`] = secret;
  return { ...out, ...more };
}

/**
 * What an ended incident leaves readable, by sink: its history straight from the server without the
 * codec (protobuf and JSON), its payloads decoded with the codec, its result, its status query and its
 * post-mortem file. Checks on the way that each sink was really read (encrypted payloads that decrypt to
 * the incident, a post-mortem that names it), so a clean canary cannot come from an empty sink.
 */
export async function incidentSinks(client: Client, incidentId: string): Promise<Record<string, string | Buffer>> {
  const history = await historySinks(client, incidentId);
  expect(history.payloads.length).toBeGreaterThan(10);
  for (const p of history.payloads) expect(Buffer.from(p.metadata?.encoding ?? []).toString()).toBe('binary/encrypted');
  expect(history.decoded).toContain(incidentId);
  const handle = client.workflow.getHandle(incidentId);
  const result: IncidentState = await handle.result();
  const postMortem = readFileSync(result.postMortem!.url);
  expect(postMortem.toString()).toContain(incidentId);
  return {
    [`${incidentId} raw history`]: history.raw,
    [`${incidentId} raw history (JSON)`]: history.rawJson,
    [`${incidentId} decoded payloads`]: history.decoded,
    [`${incidentId} result`]: JSON.stringify(result),
    [`${incidentId} status query`]: JSON.stringify(await handle.query(statusQuery)),
    [`${incidentId} post-mortem`]: postMortem,
  };
}

/** No secret, in any form the canary knows (plain, base64 at every alignment, URL-encoded), in any sink. */
export function expectNoLeaks(sinks: Record<string, string | Buffer>, secrets: Record<string, string>): void {
  expect(Object.entries(sinks).flatMap(([name, text]) => findLeaks(name, text, secrets))).toEqual([]);
}

/** The vault's entries on disk (one encrypted file each; the master key file aside). */
export const vaultEntries = (dataDir: string) => readdirSync(path.join(dataDir, 'vault')).filter((f) => f.endsWith('.vault'));

/** The vault's entry files, raw, as whoever reads the disk gets them. */
export function vaultFiles(dataDir: string): Buffer {
  const read = (f: string) => {
    try {
      return readFileSync(path.join(dataDir, 'vault', f));
    } catch (err) {
      // Deleted meanwhile by an incident that ended.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
      throw err;
    }
  };
  return Buffer.concat(vaultEntries(dataDir).map(read));
}
