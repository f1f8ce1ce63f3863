import { z } from 'zod';

// The module's inventory section, `providers.aws-iam`: how Leakstop acts on keys of AWS accounts other
// than its own. It assumes a role in the key's account (found with STS GetAccessKeyInfo): one role name
// for every account (as a CloudFormation StackSet deploys it), or a role per account. The external id
// is the one the role's trust policy asks for (an identifier against the confused-deputy problem, not a
// credential; Leakstop still never prints it).

const roleName = z.string().regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM role name (1-64 of letters, digits and + = , . @ _ -)');
const externalId = z.string().regex(/^[\w+=,.@:/-]{2,1224}$/, 'must be an external id (2-1224 of letters, digits and + = , . @ : / _ -)');
const ACCOUNT_ID = /^\d{12}$/;

const RoleSchema = z.strictObject({ roleName: roleName.optional(), externalId: externalId.optional() });

export const AwsIamConfigSchema = z
  .strictObject({
    /** The role assumed in every other account that does not name its own. */
    roleName: roleName.optional(),
    externalId: externalId.optional(),
    /** Per account: its own role name and external id (over the defaults above). */
    accounts: z.record(z.string(), RoleSchema).default({}),
  })
  .superRefine((c, ctx) => {
    for (const [account, r] of Object.entries(c.accounts)) {
      // Checked here rather than as the record's key schema, whose failure zod reports without the message.
      if (!ACCOUNT_ID.test(account)) ctx.addIssue({ code: 'custom', path: ['accounts', account], message: 'must be an AWS account id (12 digits)' });
      if (!r.roleName && !c.roleName) ctx.addIssue({ code: 'custom', path: ['accounts', account, 'roleName'], message: 'needed: no default roleName is set' });
    }
  });

export type AwsIamConfig = z.output<typeof AwsIamConfigSchema>;

/** The role Leakstop assumes in another account, by name (not yet an ARN: the partition comes from the caller). */
export interface AccountRole {
  account: string;
  roleName: string;
  externalId?: string;
}

/** The role configured for `account`: its own entry over the defaults; undefined when none is configured. */
export function roleFor(config: AwsIamConfig | undefined, account: string): AccountRole | undefined {
  const own = config?.accounts[account];
  const roleName = own?.roleName ?? config?.roleName;
  if (!roleName) return undefined;
  const externalId = own?.externalId ?? config?.externalId;
  return { account, roleName, ...(externalId ? { externalId } : {}) };
}
