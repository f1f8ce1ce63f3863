import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { IAMClient } from '@aws-sdk/client-iam';
import { GetAccessKeyInfoCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { redactId } from '../../domain/credential';
import { redact } from '../../domain/redact';
import { AssumedRoles, type RoleToAssume } from '../aws/assumed-roles';
import { clientConfig, permanentOnAwsError, type AwsConfig } from '../aws/config';
import { PermanentError } from '../types';
import { roleFor, type AccountRole, type AwsIamConfig } from './config';

// Which AWS account a key belongs to, and the clients that act there: Leakstop's own identity in its
// own account, a role assumed through providers.aws-iam's configuration in any other.

/** The IAM clients acting in one account. */
export interface AccountClients {
  account: string;
  iam: IAMClient;
  cloudtrail: CloudTrailClient;
  /** The role Leakstop acts through (its ARN), said in errors people read; absent in Leakstop's own account. */
  role?: string;
}

/** What the role in another account must allow: every verb of the provider, the hygiene audit included. */
export const ROLE_ACTIONS = [
  'iam:GetAccessKeyLastUsed',
  'iam:ListAccessKeys',
  'iam:UpdateAccessKey',
  'iam:CreateAccessKey',
  'iam:DeleteAccessKey',
  'iam:ListUsers',
  'iam:ListUserTags',
  'iam:TagUser',
  'iam:UntagUser',
  'iam:PutUserPolicy',
  'iam:DeleteUserPolicy',
  'iam:ListUserPolicies',
  'iam:ListAttachedUserPolicies',
  'iam:ListGroupsForUser',
  'iam:ListGroupPolicies',
  'iam:ListAttachedGroupPolicies',
  'cloudtrail:LookupEvents',
] as const;

/** Keys whose account is remembered at once; a key's account never changes. */
const MAX_KEYS_REMEMBERED = 10_000;

interface Identity {
  account: string;
  /** Leakstop's principal as a trust policy names it (a user, or the role behind an assumed-role session). */
  principal: string;
  partition: string;
}

export class Accounts {
  private readonly sts: STSClient;
  private readonly own: Omit<AccountClients, 'account'>;
  private readonly roles: AssumedRoles;
  /** Clients per role, made once the role was assumed: only accounts whose owners trust Leakstop get one. */
  private readonly others = new Map<string, AccountClients>();
  private readonly keyAccounts = new Map<string, string>();
  private identity?: Promise<Identity>;
  /** The identity once known: every role is assumed after it was asked (forKey, listable). */
  private me?: Identity;

  constructor(
    private readonly cfg: AwsConfig,
    private readonly config: AwsIamConfig | undefined,
  ) {
    this.sts = new STSClient(clientConfig(cfg));
    this.own = { iam: new IAMClient(clientConfig(cfg)), cloudtrail: new CloudTrailClient(clientConfig(cfg)) };
    this.roles = new AssumedRoles(this.sts, 'leakstop', (role, err) => this.refused(role, err));
  }

  /** Leakstop's own account and principal: asked once per worker (they do not change). */
  whoAmI(): Promise<Identity> {
    this.identity ??= this.sts.send(new GetCallerIdentityCommand({})).then(
      (r) => (this.me = { account: r.Account!, principal: principalOf(r.Arn!), partition: r.Arn!.split(':')[1]! }),
      (err) => {
        this.identity = undefined; // asked again next time
        throw err;
      },
    );
    return this.identity;
  }

  /** The account `keyId` belongs to (STS GetAccessKeyInfo), remembered in this process. */
  async accountOf(keyId: string): Promise<string> {
    const known = this.keyAccounts.get(keyId);
    if (known) return known;
    const info = await permanentOnAwsError(`find the AWS account of ${redactId(keyId)} (sts:GetAccessKeyInfo)`, () =>
      this.sts.send(new GetAccessKeyInfoCommand({ AccessKeyId: keyId })),
    );
    if (!info.Account) throw new Error(`GetAccessKeyInfo named no account for ${redactId(keyId)}`);
    if (this.keyAccounts.size >= MAX_KEYS_REMEMBERED) this.keyAccounts.delete(this.keyAccounts.keys().next().value!);
    this.keyAccounts.set(keyId, info.Account);
    return info.Account;
  }

  /** The clients acting in the account of `keyId`. */
  async forKey(keyId: string): Promise<AccountClients> {
    const [account, me] = await Promise.all([this.accountOf(keyId), this.whoAmI()]);
    if (account === me.account) return { account, ...this.own };
    const role = roleFor(this.config, account);
    if (!role) {
      throw new PermanentError(
        `${redactId(keyId)} belongs to AWS account ${account}, not Leakstop's own (${me.account}), and no role is configured for it. ` +
          `Set providers.aws-iam.roleName (one role name for every account) or providers.aws-iam.accounts."${account}".roleName, then ${this.setUp({ account, roleName: '<that role name>' }, me)}`,
        'denied',
      );
    }
    return this.forAccount(role, me);
  }

  /** Every account whose keys the hygiene audit lists: Leakstop's own, and each one the configuration names. */
  async listable(): Promise<AccountClients[]> {
    const me = await this.whoAmI();
    const others = Object.keys(this.config?.accounts ?? {}).filter((a) => a !== me.account);
    return [{ account: me.account, ...this.own }, ...(await Promise.all(others.map((a) => this.forAccount(roleFor(this.config, a)!, me))))];
  }

  /**
   * The clients for another account, made once: their credentials come from the role's kept session. The
   * role is assumed here, before any call, so a refusal is said as what to set up, not as a failed call.
   */
  private async forAccount(role: AccountRole, me: Identity): Promise<AccountClients> {
    const toAssume: RoleToAssume = { arn: `arn:${me.partition}:iam::${role.account}:role/${role.roleName}`, ...(role.externalId ? { externalId: role.externalId } : {}) };
    const credentials = () => this.roles.credentials(toAssume);
    await credentials();
    const key = `${toAssume.arn}\n${role.externalId ?? ''}`;
    let clients = this.others.get(key);
    if (!clients) {
      const config = { ...clientConfig(this.cfg), credentials };
      clients = { account: role.account, iam: new IAMClient(config), cloudtrail: new CloudTrailClient(config), role: toAssume.arn };
      this.others.set(key, clients);
    }
    return clients;
  }

  /** AWS refused the role: say which role to create where, trusting whom, allowed what. */
  private refused(role: RoleToAssume, err: unknown): Error {
    const [, , , , account, resource] = role.arn.split(':');
    const wanted: AccountRole = { account: account!, roleName: resource!.replace(/^role\//, ''), ...(role.externalId ? { externalId: role.externalId } : {}) };
    const why = `${(err as Error).name}: ${redact((err as Error).message).slice(0, 300)}`;
    return new PermanentError(
      `Leakstop cannot assume role ${role.arn} to act in AWS account ${account} (${why}). AWS answers so when the role does not exist, ` +
        `its trust policy does not name Leakstop (${this.me!.principal}), or the external id differs: ${this.setUp(wanted, this.me!)}`,
      'denied',
    );
  }

  /** What a person sets up in another account: the role, its trust policy (never the external id's value), its permissions. */
  private setUp(role: AccountRole, me: Identity): string {
    const condition = role.externalId ? { Condition: { StringEquals: { 'sts:ExternalId': '<the external id configured for this account>' } } } : {};
    const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: me.principal }, Action: 'sts:AssumeRole', ...condition }] };
    return (
      `create the IAM role ${role.roleName} in account ${role.account} with this trust policy: ${JSON.stringify(trust)}, ` +
      `and a policy allowing ${ROLE_ACTIONS.join(', ')} on its users; then retry.`
    );
  }
}

/** A caller ARN as a trust policy names it: an assumed-role session is its role (`…:sts::A:assumed-role/R/s` → `…:iam::A:role/R`). */
function principalOf(arn: string): string {
  const m = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(arn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : arn;
}
