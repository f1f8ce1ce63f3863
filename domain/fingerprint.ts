import { createHash } from 'node:crypto';
import { idPrefixOf, type ProviderKind } from './credential';

/**
 * A stable, non-reversible name for a credential. It names the incident's workflow
 * (`leak-<provider>-<fingerprint>`), so every report of the same credential lands in one incident.
 * Not imported by workflows: node:crypto is not available in the workflow sandbox.
 */
export function fingerprint(provider: ProviderKind, credentialId: string): string {
  return createHash('sha256').update(`${provider}\0${credentialId}`).digest('hex').slice(0, 16);
}

export function incidentIdFor(provider: ProviderKind, credentialId: string): string {
  return `leak-${idPrefixOf(provider)}-${fingerprint(provider, credentialId)}`;
}

/**
 * The id of a credential that has no public one (a GitHub token): a short SHA-256 of its value. It names
 * the incident and joins reports of the same token from any trigger, without revealing the token.
 */
export function secretId(secret: string): string {
  return `sha256:${createHash('sha256').update(secret).digest('hex').slice(0, 16)}`;
}
