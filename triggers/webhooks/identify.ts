import { AWS_PATTERNS } from '../../domain/secret-patterns';
import { PROVIDERS } from '../../domain/credential';
import { secretId } from '../../domain/fingerprint';

const KEY_ID_IN_TEXT = new RegExp(`(?<![A-Za-z0-9])${AWS_PATTERNS.accessKeyId}(?![A-Za-z0-9])`);

/** The access key id in a leaked value: the value itself, or the id half of an `id:secret` pair. */
export function awsKeyIdIn(value: string): string | undefined {
  return KEY_ID_IN_TEXT.exec(value)?.[0];
}

/** A GitHub token has no public id; a short hash names it (and its incident) without revealing it. */
export const githubTokenId = secretId;

/** Checked before a secret is fetched or stored, so nothing is kept for a leak Leakstop cannot act on. */
export function hasProvider(provider: string): boolean {
  return (PROVIDERS as readonly string[]).includes(provider);
}

export const noProvider = (provider: string, what: string) => `Leakstop has no ${provider} provider yet (${what})`;
