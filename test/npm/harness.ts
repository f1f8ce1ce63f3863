import { randomBytes, randomUUID } from 'node:crypto';
import { incidentContext as baseIncidentContext } from '../support/fixtures';
import path from 'node:path';
import { LocalFileVault } from '../../providers/local-vault/vault';
import { npmModule } from '../../providers/npm';
import { npmConfig } from '../../providers/npm/config';
import type { CredentialProvider, LeakedCredential, SecretVault } from '../../providers/types';
import type { NewCredential } from '../../domain/results';
import { keepSecret } from '../../triggers/keep-secret';
import { scratchDir, testEnv } from '../support/env';

// The run's npm registry (Verdaccio, started by the global set-up) as the tests use it: accounts made
// over the registry's own API (`PUT /-/user/org.couchdb.user:NAME`), tokens made and checked the way
// the npm CLI does (`POST /-/npm/v1/tokens`, `GET /-/whoami`), independently of the code under test.

export const registry = () => testEnv().npm.registry;

export interface Account {
  user: string;
  password: string;
  /** The environment variable a test configures the account's password in (providers.npm.accounts). */
  passwordEnv: string;
}

const basic = (a: Account) => `Basic ${Buffer.from(`${a.user}:${a.password}`).toString('base64')}`;

let accounts: Promise<unknown> = Promise.resolve();

/**
 * A fresh account on the registry; its password is put in `process.env[passwordEnv]` only when a test
 * says so. Verdaccio's htpasswd plugin refuses a sign-up while it writes another (the file is locked),
 * so sign-ups in this process go one at a time, and one refused is tried again (other test files run
 * in another process).
 */
export function newAccount(prefix: string): Promise<Account> {
  const made = accounts.then(() => signUp(`${prefix}-${randomUUID().slice(0, 8)}`.toLowerCase(), `pw-${randomBytes(12).toString('base64url')}`));
  accounts = made.catch(() => undefined);
  return made;
}

async function signUp(user: string, password: string): Promise<Account> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${registry()}-/user/org.couchdb.user:${encodeURIComponent(user)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: user, password }),
    });
    if (res.status === 201) return { user, password, passwordEnv: `LEAKSTOP_TEST_NPM_PASSWORD_${randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase()}` };
    if (attempt >= 10) throw new Error(`the registry did not create ${user}: ${res.status} ${await res.text()}`);
    await new Promise((r) => setTimeout(r, 20 * attempt));
  }
}

/** Puts the account's password where the module reads it (the worker's environment). */
export function configurePassword(a: Account): void {
  process.env[a.passwordEnv] = a.password;
}

/** A token as `npm token create` makes one: the account's password in the body. */
export async function createToken(a: Account, o: { readonly?: boolean; cidr?: string[] } = {}): Promise<{ token: string; key: string }> {
  const res = await fetch(`${registry()}-/npm/v1/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic(a) },
    body: JSON.stringify({ password: a.password, readonly: o.readonly ?? false, cidr_whitelist: o.cidr ?? [] }),
  });
  if (res.status !== 200) throw new Error(`the registry did not create a token for ${a.user}: ${res.status}`);
  const body = (await res.json()) as { token: string; key: string };
  return { token: body.token, key: body.key };
}

/** `GET /-/whoami` with the token: its HTTP status and the account it names (Verdaccio answers an unknown token as anonymous). */
export async function whoami(token: string): Promise<{ status: number; username?: string }> {
  const res = await fetch(`${registry()}-/whoami`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  const username = res.ok ? (JSON.parse(text) as { username?: string }).username : undefined;
  return { status: res.status, username };
}

/** The account's token list, read with its password. */
export async function tokensOf(a: Account): Promise<{ key: string; readonly: boolean; cidr: string[]; created: string }[]> {
  const res = await fetch(`${registry()}-/npm/v1/tokens`, { headers: { authorization: basic(a) } });
  if (res.status !== 200) throw new Error(`the registry did not list the tokens of ${a.user}: ${res.status}`);
  return ((await res.json()) as { objects: { key: string; readonly: boolean; cidr: string[]; created: string }[] }).objects;
}

/** Waits (polling every few milliseconds, bounded) until the registry refuses `token`; the time it happened. */
export async function refusedAt(token: string, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await whoami(token);
    if (r.status === 401 || r.status === 403) return Date.now();
    if (Date.now() > deadline) throw new Error(`the registry still accepts the token after ${timeoutMs} ms`);
    await new Promise((done) => setTimeout(done, 5));
  }
}

/** The provider from npmModule.create, configured as the inventory's `providers.npm` section would. */
export class NpmHarness {
  readonly dir = scratchDir('npm');
  readonly vault: SecretVault = new LocalFileVault(path.join(this.dir, 'vault'));
  /** Every token and password a test made, to check that none is ever written back. */
  readonly secrets: string[] = [];

  provider(o: { accounts?: Account[] } = {}): CredentialProvider {
    const config = npmConfig({ registry: registry(), accounts: Object.fromEntries((o.accounts ?? []).map((a) => [a.user, { passwordEnv: a.passwordEnv }])) });
    return npmModule.create({ vault: this.vault, env: process.env, settings: {}, config }).credential!;
  }

  remember<T extends string>(secret: T): T {
    this.secrets.push(secret);
    return secret;
  }

  /** The leaked token handed over as a trigger does: kept in the vault, named by its hash. */
  async leak(token: string): Promise<LeakedCredential> {
    const { id, handle } = await keepSecret(this.vault, 'leaked', 'npm-token', this.remember(token));
    return { id, secretHandle: handle };
  }

  /** A replacement a person registered (`leakstop incident done --credential-file`). */
  async replacement(token: string): Promise<NewCredential> {
    const { id, handle } = await keepSecret(this.vault, 'new', 'npm-token', this.remember(token));
    return { id, handle, removed: [] };
  }

  /** No secret of the test, nor a recognisable part of one, in what the provider returned or threw. */
  expectNoSecretIn(...outputs: unknown[]): void {
    const text = outputs.map((o) => (o instanceof Error ? `${o.name}: ${o.message}\n${o.stack ?? ''}` : JSON.stringify(o))).join('\n');
    for (const secret of this.secrets) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(secret.slice(-12));
    }
  }
}

export const incidentContext = () => baseIncidentContext('npm-token');

export { thrown } from '../support/fixtures';
