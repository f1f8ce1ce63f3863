import { LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  DeleteUserPolicyCommand,
  GetAccessKeyLastUsedCommand,
  ListUsersCommand,
  ListAccessKeysCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsForUserCommand,
  ListUserPoliciesCommand,
  ListUserTagsCommand,
  PutUserPolicyCommand,
  TagUserCommand,
  UntagUserCommand,
  UpdateAccessKeyCommand,
  type AccessKeyMetadata,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { redactId } from '../../domain/credential';
import { redact } from '../../domain/redact';
import type { ActionResult, BlastRadius, Identification, Known, NewCredential, Verification } from '../../domain/results';
import { awsErrorReason, clientConfig, type AwsConfig } from '../aws/config';
import { Accounts, ROLE_ACTIONS, type AccountClients } from './accounts';
import type { AwsIamConfig } from './config';
import type { AwsBlastRadiusFacts } from './kind';
import { PermanentError, type CredentialProvider, type IncidentContext, type LeakedCredential, type SecretVault } from '../types';
import type { ListedCredential } from '../../domain/audit';

const QUARANTINE_POLICY = 'LeakstopQuarantine';
/** Marks a rotation in flight on the user, so a retry after a crash can find a key whose secret was lost. */
const ROTATION_TAG = 'leakstop:rotation';
const MAX_KEYS = 2;

/**
 * AWS IAM access keys: identify, map, contain, rotate, verify and revoke with the real SDK. Every verb acts
 * in the key's own account (accounts.ts): with Leakstop's identity in its own, through a role in others.
 */
export class AwsIamProvider implements CredentialProvider {
  readonly kind = 'aws-iam' as const;
  private readonly accounts: Accounts;

  constructor(
    private readonly cfg: AwsConfig,
    private readonly vault: SecretVault,
    config?: AwsIamConfig,
  ) {
    this.accounts = new Accounts(cfg, config);
  }

  async identify({ id: keyId }: LeakedCredential): Promise<Identification> {
    const aws = await this.accounts.forKey(keyId);
    const used = await this.call(aws, `look up ${redactId(keyId)}`, () =>
      aws.iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: keyId })),
    );
    if (!used.UserName) throw new PermanentError(`${redactId(keyId)} does not belong to an IAM user in account ${aws.account}`, 'not-found');
    const key = (await this.keys(aws, used.UserName)).find((k) => k.AccessKeyId === keyId);
    if (!key) throw new PermanentError(`${redactId(keyId)} no longer exists (already revoked?)`, 'not-found');
    const last = used.AccessKeyLastUsed;
    return {
      owner: used.UserName,
      account: aws.account,
      status: key.Status === 'Active' ? 'active' : 'inactive',
      lastUsed: last?.LastUsedDate
        ? { at: last.LastUsedDate.toISOString(), service: last.ServiceName, region: last.Region }
        : last?.ServiceName === 'N/A' || !last
          ? { at: undefined }
          : { unknown: true, reason: 'no last-used data returned' },
    };
  }

  async describe({ id: keyId }: LeakedCredential, owner: string): Promise<BlastRadius> {
    const aws = await this.accounts.forKey(keyId);
    const [policies, recentActivity, keys] = await Promise.all([
      known('policies', () => this.policies(aws, owner)),
      known('CloudTrail', () => this.recentEvents(aws, keyId)),
      this.keys(aws, owner),
    ]);
    const facts: AwsBlastRadiusFacts = {
      policies,
      recentActivity,
      otherKeys: keys
        .filter((k) => k.AccessKeyId !== keyId)
        .map((k) => ({ id: k.AccessKeyId!, status: k.Status ?? 'unknown', createdAt: k.CreateDate?.toISOString() })),
    };
    return { owner, facts: { ...facts } };
  }

  async contain({ id: keyId }: LeakedCredential, owner: string, ctx: IncidentContext, known?: Identification): Promise<ActionResult> {
    const aws = await this.accounts.forKey(keyId);
    // Just identified as active (the first response): deactivate at once, without listing the keys again.
    const status = known?.status === 'active' ? 'Active' : (await this.keys(aws, owner)).find((k) => k.AccessKeyId === keyId)?.Status;
    const said: string[] = [];
    let changed = false;
    if (!status) said.push(`${redactId(keyId)} is already gone`);
    else if (status === 'Inactive') said.push(`${redactId(keyId)} was already inactive`);
    else {
      await this.call(aws, `deactivate ${redactId(keyId)}`, () =>
        aws.iam.send(new UpdateAccessKeyCommand({ UserName: owner, AccessKeyId: keyId, Status: 'Inactive' })),
      );
      said.push(`set ${redactId(keyId)} inactive`);
      changed = true;
    }
    if (ctx.policy.quarantine) {
      await this.call(aws, `quarantine ${owner}`, () =>
        aws.iam.send(new PutUserPolicyCommand({ UserName: owner, PolicyName: QUARANTINE_POLICY, PolicyDocument: DENY_ALL })),
      );
      said.push(`attached deny-all policy ${QUARANTINE_POLICY} to ${owner}`);
      changed = true; // attaching again is harmless, and the deny-all is in place either way
    }
    return { summary: said.join('; '), changed };
  }

  async regenerate({ id: keyId }: LeakedCredential, owner: string, ctx: IncidentContext): Promise<NewCredential> {
    const aws = await this.accounts.forKey(keyId);
    const handle = `${ctx.incidentId}/aws-iam/new-key`;
    let keys = await this.keys(aws, owner);
    const kept = await this.vault.get(handle);
    if (kept && keys.some((k) => k.AccessKeyId === kept.accessKeyId)) {
      return { id: kept.accessKeyId!, handle, removed: [] }; // a retry after the key was made and kept
    }

    const removed: string[] = [];
    // A key created by an earlier attempt whose secret never reached the vault is useless: delete it.
    const pending = await this.rotationMark(aws, owner);
    if (pending?.incidentId === ctx.incidentId) {
      for (const k of keys) {
        if (k.AccessKeyId !== keyId && k.CreateDate && k.CreateDate.getTime() >= pending.since - 1000) {
          await this.deleteKey(aws, owner, k.AccessKeyId!);
          removed.push(k.AccessKeyId!);
        }
      }
      keys = await this.keys(aws, owner);
    }

    if (keys.length >= MAX_KEYS) {
      const others = keys.filter((k) => k.AccessKeyId !== keyId).map((k) => `${redactId(k.AccessKeyId!)} (${k.Status})`);
      if (ctx.policy.keyLimit !== 'revoke-leaked-first' || !keys.some((k) => k.AccessKeyId === keyId)) {
        throw new PermanentError(
          `${owner} already has ${keys.length} access keys, IAM's limit: the leaked ${redactId(keyId)} and ${others.join(', ')}. ` +
            `Delete the unused key and retry, or set policy keyLimit: revoke-leaked-first`,
          'limit',
        );
      }
      await this.deleteKey(aws, owner, keyId);
      removed.push(keyId);
    }

    await aws.iam.send(new TagUserCommand({ UserName: owner, Tags: [{ Key: ROTATION_TAG, Value: `${ctx.incidentId}@${Date.now()}` }] }));
    const created = await this.call(aws, `create a key for ${owner}`, () => aws.iam.send(new CreateAccessKeyCommand({ UserName: owner })));
    const fresh = created.AccessKey!;
    await this.vault.put(handle, { accessKeyId: fresh.AccessKeyId!, secretAccessKey: fresh.SecretAccessKey! });
    await aws.iam.send(new UntagUserCommand({ UserName: owner, TagKeys: [ROTATION_TAG] }));
    return { id: fresh.AccessKeyId!, handle, removed };
  }

  async verify({ id: keyId }: LeakedCredential, owner: string, fresh: NewCredential): Promise<Verification> {
    const material = await this.vault.get(fresh.handle);
    if (!material) throw new PermanentError(`the new key ${redactId(fresh.id)} is no longer in the vault`, 'not-found');
    const aws = await this.accounts.forKey(keyId);
    // The new key signs for itself: whatever its account, STS answers who it is.
    const sts = new STSClient({
      ...clientConfig(this.cfg),
      credentials: { accessKeyId: material.accessKeyId!, secretAccessKey: material.secretAccessKey! },
    });
    let identity: string | undefined;
    let failure = '';
    // A new IAM key can take several seconds to be accepted everywhere.
    for (let attempt = 0, wait = 250; attempt < 8 && !identity; attempt++, wait *= 2) {
      try {
        identity = (await sts.send(new GetCallerIdentityCommand({}))).Arn;
      } catch (err) {
        failure = (err as Error).name;
        await new Promise((r) => setTimeout(r, Math.min(wait, 4000)));
      }
    }
    sts.destroy();
    const old = (await this.keys(aws, owner)).find((k) => k.AccessKeyId === keyId);
    const oldDisabled = !old || old.Status === 'Inactive';
    if (!identity) throw new PermanentError(`the new key ${redactId(fresh.id)} is not accepted by AWS STS (${failure})`, 'failed');
    if (!identity.endsWith(`/${owner}`) || identity.split(':')[4] !== aws.account) {
      throw new PermanentError(`the new key belongs to ${identity}, not ${owner} in account ${aws.account}`, 'invalid');
    }
    return {
      newWorks: true,
      newIdentity: identity,
      oldDisabled,
      detail: `new key ${redactId(fresh.id)} works as ${identity}; leaked key ${redactId(keyId)} is ${old ? old.Status?.toLowerCase() : 'deleted'}`,
    };
  }

  async revoke({ id: keyId }: LeakedCredential, owner: string, ctx: IncidentContext): Promise<ActionResult> {
    const aws = await this.accounts.forKey(keyId);
    const exists = (await this.keys(aws, owner)).some((k) => k.AccessKeyId === keyId);
    const done: string[] = [];
    if (exists) {
      await this.deleteKey(aws, owner, keyId);
      done.push(`deleted ${redactId(keyId)}`);
    }
    if (ctx.policy.quarantine) {
      // The quarantine covered the whole user; with the leaked key gone it would only block the new one.
      await aws.iam.send(new DeleteUserPolicyCommand({ UserName: owner, PolicyName: QUARANTINE_POLICY })).then(
        () => done.push(`removed ${QUARANTINE_POLICY} from ${owner}`),
        (err) => {
          if (awsErrorReason(err) !== 'not-found') throw err;
        },
      );
    }
    if ((await this.keys(aws, owner)).some((k) => k.AccessKeyId === keyId)) {
      throw new PermanentError(`${redactId(keyId)} still exists after DeleteAccessKey`, 'failed');
    }
    return done.length ? { summary: done.join('; '), changed: true } : { summary: `${redactId(keyId)} was already deleted`, changed: false };
  }

  /**
   * Every IAM user's keys with age and last use, for the hygiene audit (never a secret): in Leakstop's own
   * account and each account providers.aws-iam names. An owner in another account reads `<account>/<user>`.
   */
  /** With an owner (a user of Leakstop's own account, as inventory entries name them), only that user's keys. */
  async list(owner?: string): Promise<ListedCredential[]> {
    const out: ListedCredential[] = [];
    const accounts = await this.accounts.listable();
    for (const aws of owner ? accounts.slice(0, 1) : accounts) out.push(...(await this.listIn(aws, owner)));
    return out;
  }

  private async userNames(aws: AccountClients): Promise<string[]> {
    const users: string[] = [];
    let Marker: string | undefined;
    do {
      const page = await this.call(aws, 'list users', () => aws.iam.send(new ListUsersCommand({ Marker })));
      users.push(...(page.Users ?? []).map((u) => u.UserName!).filter(Boolean));
      Marker = page.IsTruncated ? page.Marker : undefined;
    } while (Marker);
    return users;
  }

  private async listIn(aws: AccountClients, owner?: string): Promise<ListedCredential[]> {
    const users = owner ? [owner] : await this.userNames(aws);
    const out: ListedCredential[] = [];
    for (const user of users) {
      for (const key of await this.keys(aws, user)) {
        const used = await this.call(aws, `look up ${redactId(key.AccessKeyId!)}`, () => aws.iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.AccessKeyId! })));
        const at = used.AccessKeyLastUsed?.LastUsedDate;
        out.push({
          provider: this.kind,
          id: key.AccessKeyId!,
          owner: aws.role ? `${aws.account}/${user}` : user,
          status: key.Status === 'Active' ? 'active' : 'inactive',
          createdAt: key.CreateDate?.toISOString(),
          // IAM says N/A for a key never used (since it began tracking, April 2015).
          lastUsedAt: at ? at.toISOString() : used.AccessKeyLastUsed?.ServiceName === 'N/A' ? null : undefined,
        });
      }
    }
    return out;
  }

  private async keys(aws: AccountClients, owner: string): Promise<AccessKeyMetadata[]> {
    const r = await this.call(aws, `list keys of ${owner}`, () => aws.iam.send(new ListAccessKeysCommand({ UserName: owner })));
    return r.AccessKeyMetadata ?? [];
  }

  private async deleteKey(aws: AccountClients, owner: string, keyId: string): Promise<void> {
    await this.call(aws, `delete ${redactId(keyId)}`, () => aws.iam.send(new DeleteAccessKeyCommand({ UserName: owner, AccessKeyId: keyId }))).catch((err) => {
      if ((err as PermanentError).reason !== 'not-found') throw err;
    });
  }

  private async rotationMark(aws: AccountClients, owner: string): Promise<{ incidentId: string; since: number } | undefined> {
    const tags = await aws.iam.send(new ListUserTagsCommand({ UserName: owner }));
    const value = tags.Tags?.find((t) => t.Key === ROTATION_TAG)?.Value;
    const m = value && /^(.+)@(\d+)$/.exec(value);
    return m ? { incidentId: m[1]!, since: Number(m[2]) } : undefined;
  }

  private async policies({ iam }: AccountClients, owner: string) {
    const [attached, inline, groups] = await Promise.all([
      iam.send(new ListAttachedUserPoliciesCommand({ UserName: owner })),
      iam.send(new ListUserPoliciesCommand({ UserName: owner })),
      iam.send(new ListGroupsForUserCommand({ UserName: owner })),
    ]);
    return {
      attached: (attached.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? p.PolicyName ?? '?'),
      inline: inline.PolicyNames ?? [],
      groups: await Promise.all(
        (groups.Groups ?? []).map(async (g) => {
          const [ga, gi] = await Promise.all([
            iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: g.GroupName })),
            iam.send(new ListGroupPoliciesCommand({ GroupName: g.GroupName })),
          ]);
          return {
            group: g.GroupName!,
            attached: (ga.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? p.PolicyName ?? '?'),
            inline: gi.PolicyNames ?? [],
          };
        }),
      ),
    };
  }

  private async recentEvents({ cloudtrail }: AccountClients, keyId: string) {
    const r = await cloudtrail.send(
      new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'AccessKeyId', AttributeValue: keyId }], MaxResults: 20 }),
    );
    return (r.Events ?? []).map((e) => ({ at: e.EventTime?.toISOString() ?? '?', event: e.EventName ?? '?', source: e.EventSource }));
  }

  /**
   * Runs an AWS call; errors that retrying cannot fix become PermanentError with the step named. Denied
   * through a role in another account, the error also says what that role must be allowed.
   */
  private async call<T>(aws: AccountClients, what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const reason = awsErrorReason(err);
      if (!reason) throw err;
      const viaRole = aws.role && reason === 'denied' ? `. Leakstop acts in account ${aws.account} through role ${aws.role}: give it a policy allowing ${ROLE_ACTIONS.join(', ')}, then retry` : '';
      throw new PermanentError(`could not ${what}: ${(err as Error).name}: ${redact((err as Error).message)}${viaRole}`, reason);
    }
  }
}

/** A fact that may be unavailable (unsupported or denied): the report says "unknown" and why. */
async function known<T>(what: string, fn: () => Promise<T>): Promise<Known<T>> {
  try {
    return await fn();
  } catch (err) {
    const message = redact((err as Error).message.split('\n')[0]!).slice(0, 160);
    return { unknown: true, reason: `${what} not available (${(err as Error).name}: ${message})` };
  }
}

const DENY_ALL = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'LeakstopQuarantine', Effect: 'Deny', Action: '*', Resource: '*' }],
});
