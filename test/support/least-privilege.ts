import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { iam } from './env';

// The IAM policies deploy/aws/ publishes, and a responder that holds exactly them (moto, authentication
// enforced, checks every call against its identity policies).

export const POLICIES = ['respond', 'rotate', 'discover'] as const;
export type PolicyName = (typeof POLICIES)[number];
export interface PolicyDocument {
  Version: string;
  Statement: { Sid: string; Effect: string; Action: string[]; Resource: string | string[]; Condition?: unknown }[];
}
export const document = (name: PolicyName): PolicyDocument => JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'deploy', 'aws', `${name}.json`), 'utf8'));

/** An IAM user whose only permissions are `documents` (one inline policy each), and its key: Leakstop's identity. */
export async function responder(documents: Record<string, PolicyDocument>) {
  const user = `leakstop-responder-${randomUUID().slice(0, 8)}`;
  const admin = iam();
  await admin.send(new CreateUserCommand({ UserName: user }));
  for (const [name, doc] of Object.entries(documents)) {
    await admin.send(new PutUserPolicyCommand({ UserName: user, PolicyName: `leakstop-${name}`, PolicyDocument: JSON.stringify(doc) }));
  }
  const key = (await admin.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey!;
  admin.destroy();
  return { user, credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } };
}

