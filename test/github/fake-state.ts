import { randomInt } from 'node:crypto';
import sodium from 'libsodium-wrappers';
import type { GitHubTokenKind } from '../../providers/github/token-format';
import type { Account, AlertFixture, IssueFixture, PatGrantFixture, SsoAuthorizationFixture } from './fixtures';
import { HttpError, type FakeRequest } from './router';

// Everything the fake GitHub knows, in memory, open to tests for seeding and for assertions.

export interface TokenRecord {
  token: string;
  login: string;
  kind: GitHubTokenKind;
  scopes: string[];
  /** When GitHub stopped accepting it; revocation may take effect after a delay (see revocationDelayMs). */
  deadAt?: number;
}

export interface Keypair {
  keyId: string;
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

export interface StoredSecret {
  encryptedValue: string;
  keyId: string;
  createdAt: string;
  updatedAt: string;
  visibility?: 'all' | 'private' | 'selected';
  selectedRepositoryIds?: number[];
}

export interface StoredVariable {
  value: string;
  createdAt: string;
  updatedAt: string;
}

export interface WorkflowRecord {
  id: number;
  repo: string;
  path: string;
  name: string;
  /** `run-name:` of the workflow file; `${{ inputs.x }}` is substituted at dispatch. */
  runName?: string;
  conclusion: 'success' | 'failure' | 'cancelled' | 'timed_out';
  /** How many status reads a run stays in progress before it completes. */
  pollsInProgress: number;
}

export interface RunRecord {
  id: number;
  repo: string;
  workflow: WorkflowRecord;
  runNumber: number;
  displayTitle: string;
  headBranch: string;
  inputs: Record<string, unknown>;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
  pollsLeft: number;
  createdAt: string;
  updatedAt: string;
}

export interface IssueRecord extends IssueFixture {
  commentBodies: string[];
}

/** An organization as its token listings see it. */
export interface OrgRecord {
  login: string;
  /** Who may list its members' tokens: its owners, and GitHub App installations with the organization permission. */
  admins: Set<string>;
  /** SAML single sign-on (GitHub Enterprise Cloud); without it GitHub has no credential authorizations to list. */
  sso: boolean;
  patGrants: PatGrantFixture[];
  ssoAuthorizations: SsoAuthorizationFixture[];
}

export class FakeGitHubState {
  readonly accounts = new Map<string, Account>();
  readonly tokens = new Map<string, TokenRecord>();
  /** Keyed `owner/repo#number`. */
  readonly alerts = new Map<string, AlertFixture>();
  /** Keyed by secret scope: `repo:o/r`, `env:o/r/name`, `org:name`. */
  readonly keypairs = new Map<string, Keypair>();
  readonly secrets = new Map<string, Map<string, StoredSecret>>();
  /** Keyed `o/r`. */
  readonly variables = new Map<string, Map<string, StoredVariable>>();
  readonly workflows: WorkflowRecord[] = [];
  readonly runs = new Map<number, RunRecord>();
  /** Keyed `o/r`. */
  readonly issues = new Map<string, IssueRecord[]>();
  readonly orgs = new Map<string, OrgRecord>();
  /** Whether `return_run_details` is honoured (github.com since 2026); older servers answer 204. */
  returnRunDetails = true;
  /** Delay between an accepted revocation and the token being rejected. */
  revocationDelayMs = 0;
  private nextId = 1000;

  id(): number {
    return this.nextId++;
  }

  /** GitHub's timestamps have second precision. */
  now(): string {
    return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  account(login: string, type: Account['type'] = 'User'): Account {
    let a = this.accounts.get(login);
    if (!a) this.accounts.set(login, (a = { login, id: this.id(), type }));
    return a;
  }

  isLive(token: string): boolean {
    const t = this.tokens.get(token);
    return Boolean(t && (t.deadAt === undefined || Date.now() < t.deadAt));
  }

  kill(token: string): boolean {
    const t = this.tokens.get(token);
    if (!t || t.deadAt !== undefined) return false;
    t.deadAt = Date.now() + this.revocationDelayMs;
    return true;
  }

  /** The caller's account, or a 401 as GitHub answers for a missing, unknown or revoked token. */
  caller(req: FakeRequest): TokenRecord {
    const t = req.token && this.isLive(req.token) ? this.tokens.get(req.token) : undefined;
    if (!t) throw new HttpError(401, req.token ? 'Bad credentials' : 'Requires authentication');
    return t;
  }

  keypair(scope: string): Keypair {
    let k = this.keypairs.get(scope);
    if (!k) {
      const pair = sodium.crypto_box_keypair();
      k = { keyId: String(randomInt(1e13, 9e13)), publicKey: pair.publicKey, privateKey: pair.privateKey };
      this.keypairs.set(scope, k);
    }
    return k;
  }

  secretsOf(scope: string): Map<string, StoredSecret> {
    let m = this.secrets.get(scope);
    if (!m) this.secrets.set(scope, (m = new Map()));
    return m;
  }

  variablesOf(repo: string): Map<string, StoredVariable> {
    let m = this.variables.get(repo);
    if (!m) this.variables.set(repo, (m = new Map()));
    return m;
  }

  issuesOf(repo: string): IssueRecord[] {
    let list = this.issues.get(repo);
    if (!list) this.issues.set(repo, (list = []));
    return list;
  }

  repoId(repo: string): number {
    // Stable per name, so repeated responses describe the same repository.
    return [...repo].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 1e9, 7);
  }
}

export const repoOf = (req: FakeRequest) => `${req.params.owner}/${req.params.repo}`;
