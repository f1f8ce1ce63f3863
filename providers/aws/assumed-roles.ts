import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { awsErrorReason } from './config';

// Credentials of roles Leakstop assumes in other accounts, kept in the worker's memory only (never in a
// workflow's state or history) until shortly before they expire, so an incident's verbs, and the
// incidents after it, share one AssumeRole per role instead of one per call.

/** Renewed this long before they expire, the window the AWS SDK itself treats as expired. */
const RENEW_BEFORE_MS = 5 * 60_000;
/** Roles kept at once: the default role applies to any account a reported key names, so bound it. */
const MAX_ROLES = 500;
/** AWS's default, and the least any role allows. */
const SESSION_SECONDS = 3600;

export interface RoleToAssume {
  arn: string;
  externalId?: string;
}

export type RoleCredentials = AwsCredentialIdentity & { expiration: Date };

interface Session {
  credentials: Promise<RoleCredentials>;
  /** Infinity while AssumeRole is in flight, so concurrent callers share it. */
  expiresAt: number;
}

export class AssumedRoles {
  private readonly sessions = new Map<string, Session>();

  /**
   * @param sts Leakstop's own STS client (its own identity assumes the roles).
   * @param refused the error for a role AWS refuses (denied, or missing): what a person must set up.
   * @param now the clock that decides when kept credentials are renewed.
   */
  constructor(
    private readonly sts: STSClient,
    private readonly sessionName: string,
    private readonly refused: (role: RoleToAssume, err: unknown) => Error,
    private readonly now: () => number = Date.now,
  ) {}

  /** The role's credentials: kept ones while they last, else a new AssumeRole. */
  credentials(role: RoleToAssume): Promise<RoleCredentials> {
    const key = `${role.arn}\n${role.externalId ?? ''}`;
    const kept = this.sessions.get(key);
    if (kept && kept.expiresAt - this.now() > RENEW_BEFORE_MS) return kept.credentials;

    const session: Session = { credentials: this.assume(role), expiresAt: Infinity };
    session.credentials.then(
      (c) => (session.expiresAt = c.expiration.getTime()),
      // A refusal is not kept: once a person fixed the role, the retry assumes it again.
      () => this.sessions.get(key) === session && this.sessions.delete(key),
    );
    this.sessions.delete(key); // re-inserted last: the map's order is the order of use
    this.sessions.set(key, session);
    if (this.sessions.size > MAX_ROLES) this.sessions.delete(this.sessions.keys().next().value!);
    return session.credentials;
  }

  private async assume(role: RoleToAssume): Promise<RoleCredentials> {
    let answer;
    try {
      answer = await this.sts.send(
        new AssumeRoleCommand({ RoleArn: role.arn, RoleSessionName: this.sessionName, ExternalId: role.externalId, DurationSeconds: SESSION_SECONDS }),
      );
    } catch (err) {
      // AWS answers AccessDenied alike for a missing role, a trust policy without Leakstop, and a wrong external id.
      if (awsErrorReason(err)) throw this.refused(role, err);
      throw err; // throttled, unreachable: retrying can fix it
    }
    const c = answer.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) throw new Error(`AssumeRole ${role.arn} returned no credentials`);
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
  }
}
