import { secretId } from '../../domain/fingerprint';
import { markdownText } from '../../domain/escape';
import { isUnknown, type Known } from '../../domain/results';
import type { CredentialKind, Finding, Recognition } from '../module';
import { GUIDED_PATTERNS, GUIDED_SCANNERS, GUIDED_TYPE_IDS, guidedType, typeOfScannerName, typeOfValue, type GuidedTypeId } from './catalogue';

// Credentials Leakstop cannot call. The incident is named by the value's type and a short hash of the
// value (`google-api-key:sha256:0123…`): every report of the same secret, from any trigger, joins one
// incident; the value itself waits in the vault.

const ID = /^([a-z0-9-]{1,40}):(sha256:[0-9a-f]{16})$/;
/** A service account key file is a couple of kilobytes; nothing a scanner reports as one secret is bigger. */
const MAX_SECRET = 8192;
const MIN_SECRET = 8;

export const GUIDED_FIELDS = { secret: 'secret', type: 'fact' } as const;

export function typeOfId(id: string): GuidedTypeId | undefined {
  const m = ID.exec(id);
  return m && guidedType(m[1]!) ? (m[1] as GuidedTypeId) : undefined;
}

export const guidedCredentialId = (type: GuidedTypeId, secret: string) => `${type}:${secretId(secret)}`;

function recognise(f: Finding): Recognition {
  const raw = f.raw?.trim();
  if (!raw) return { unidentified: f.scanner === 'gitguardian' ? 'GitGuardian sends a hash of the secret, not the secret' : 'the finding holds no secret value' };
  if (raw.length > MAX_SECRET) return { invalid: `longer than ${MAX_SECRET} characters: not one credential` };
  if (raw.length < MIN_SECRET) return { invalid: `shorter than ${MIN_SECRET} characters: not a credential` };
  const scanner = f.scanner === 'github-secret-scanning' ? 'github' : f.scanner === 'pasted' ? undefined : f.scanner;
  // The value's own shape first, so every scanner's report of one secret names one incident.
  const type = typeOfValue(raw) ?? (scanner && f.type !== undefined ? typeOfScannerName(scanner, f.type) : undefined) ?? 'generic-secret';
  return { credentialId: guidedCredentialId(type, raw), secret: raw };
}

export type GuidedBlastRadiusFacts = {
  credential: string;
  issuer: string;
  docs: string;
  /** The inventory's name for it, when its fingerprint is listed. */
  inventoryName: Known<string>;
  probe: Known<{ host: string; answer: 'valid' | 'refused' }>;
  recentActivity: Known<never>;
};

export const guidedKind: CredentialKind = {
  kind: 'guided',
  idPrefix: 'guided',
  label: 'Other credential (guided runbook)',
  reportHint: 'Any other credential (Google, OpenAI, Stripe, a password…): paste the leaked value itself; it is kept in the vault, never shown, and a person follows the steps.',
  checkId(id) {
    if (typeOfId(id)) return undefined;
    if (typeOfValue(id.trim())) return 'must be the credential id (<type>:sha256:<16 hex>), not the secret itself: report the value through a trigger (Slack, a scanner), which keeps it in the vault';
    return `must be <type>:sha256:<16 hex>, as Leakstop derives it from the value (types: ${GUIDED_TYPE_IDS.join(', ')})`;
  },
  display(id) {
    const type = typeOfId(id);
    const m = ID.exec(id);
    return type && m ? `${guidedType(type)!.label} ${m[2]!.slice(0, 15)}…` : 'secret sha256:…';
  },
  patterns: GUIDED_PATTERNS,
  scanners: GUIDED_SCANNERS,
  recognise,
  materialFields: GUIDED_FIELDS,
  fields: ['value'],
  render(material, field) {
    const secret = material?.secret;
    if (!secret) return undefined;
    if (field === 'value') return secret;
    if (field !== 'json') return undefined;
    const type = typeOfValue(secret) ?? (material.type && guidedType(material.type) ? material.type : 'generic-secret');
    return JSON.stringify({ [guidedType(type)!.env]: secret });
  },
  catchAll: true,
  renderBlastRadius(facts) {
    const f = facts as GuidedBlastRadiusFacts;
    const known = <T>(k: Known<T>, show: (v: T) => string) => (isUnknown(k) ? `unknown (${markdownText(k.reason)})` : show(k));
    return [
      `- Credential: ${markdownText(f.credential)}, issued by ${markdownText(f.issuer)} (${markdownText(f.docs)})`,
      `- Inventory: ${known(f.inventoryName, (n) => markdownText(n))}`,
      `- Probe: ${known(f.probe, (p) => `${markdownText(p.host)} says the leaked value is ${p.answer}`)}`,
      `- What it was used for: ${known(f.recentActivity, () => '')}`,
    ];
  },
};
