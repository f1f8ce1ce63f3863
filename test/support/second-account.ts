import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';

/** A member account of the organisation, beside the responder's own (moto's default, 123456789012). */
export const SECOND_ACCOUNT = '111122223333';

/**
 * Gives moto a second account with its own administrator, as an organisation's member account has one;
 * the tests set up that account's roles and users as that administrator. Runs before moto's
 * authentication is enforced (global set-up): once it is, acting in an account needs a principal that
 * already exists there, and moto (5.2.5) would have none in a new account. Until then moto lets anyone
 * assume any role ARN, existing or not, and acts in that role's account.
 */
export async function createSecondAccount(endpoint: string): Promise<{ id: string; admin: { accessKeyId: string; secretAccessKey: string } }> {
  const base = { region: 'us-east-1', endpoint, credentials: { accessKeyId: 'bootstrap', secretAccessKey: 'bootstrap' } };
  const sts = new STSClient(base);
  const c = (await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${SECOND_ACCOUNT}:role/bootstrap`, RoleSessionName: 'bootstrap' }))).Credentials!;
  const iam = new IAMClient({ ...base, credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! } });
  await iam.send(new CreateUserCommand({ UserName: 'account-admin' }));
  await iam.send(
    new PutUserPolicyCommand({
      UserName: 'account-admin',
      PolicyName: 'admin',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
    }),
  );
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'account-admin' }))).AccessKey!;
  sts.destroy();
  iam.destroy();
  return { id: SECOND_ACCOUNT, admin: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } };
}
