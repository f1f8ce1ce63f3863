// How people see a credential: never the value, only a short redacted id.
// Pure and dependency-free so workflows, activities and triggers can all share it.

import { AWS_PATTERNS } from './secret-patterns';

export const PROVIDERS = ['aws-iam', 'github-token'] as const;
export type ProviderKind = (typeof PROVIDERS)[number];

const AWS_ACCESS_KEY_ID = new RegExp(`^${AWS_PATTERNS.accessKeyId}$`);

/** The identifier formats each provider accepts; the reason is shown to people. */
export function checkCredentialId(provider: ProviderKind, id: string): string | undefined {
  switch (provider) {
    case 'aws-iam':
      return AWS_ACCESS_KEY_ID.test(id)
        ? undefined
        : 'must be an AWS access key id: AKIA or ASIA followed by 16 characters A-Z, 2-7';
    case 'github-token':
      // A token has no public id: triggers name it by a hash and keep the token itself in the vault.
      return /^sha256:[0-9a-f]{16}$/.test(id) ? undefined : 'must be the token\'s id (sha256:<16 hex>), not the token: report the token itself through a trigger';
  }
}

/** `AKIAIOSFODNN7EXAMPLE` → `AKIA…MPLE`. Short values are fully masked. */
export function redactId(id: string): string {
  if (id.length < 12) return '…'.padStart(Math.min(id.length, 4), '*');
  return `${id.slice(0, 4)}…${id.slice(-4)}`;
}

const AWS_KEY_IDS = new RegExp(`\\b${AWS_PATTERNS.accessKeyId}\\b`, 'g');

/** Redacts every credential id found in free text (provider error messages echo them). */
export function redactText(text: string): string {
  return text.replace(AWS_KEY_IDS, redactId);
}
