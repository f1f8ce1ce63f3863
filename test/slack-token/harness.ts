import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PolicySchema } from '../../domain/schemas';
import { LocalFileVault } from '../../providers/local-vault/vault';
import { slackTokenModule } from '../../providers/slack-token';
import type { CredentialProvider, IncidentContext, LeakedCredential } from '../../providers/types';
import type { NewCredential } from '../../domain/results';
import { keepSecret } from '../../triggers/keep-secret';
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

export function incidentContext(): IncidentContext {
  return { incidentId: `leak-slack-token-${randomUUID().slice(0, 8)}`, startedAt: new Date().toISOString(), policy: PolicySchema.parse({}) };
}

/** Runs `f`, returning what it threw (or failing the test when it threw nothing). */
export async function thrown(f: () => Promise<unknown>): Promise<Error> {
  try {
    await f();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error, got none');
}
