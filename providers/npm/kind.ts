import { secretId } from '../../domain/fingerprint';
import type { CredentialKind, Finding, Recognition } from '../module';
import { renderNpmBlastRadius } from './blast-radius';
import { NPM_MATERIAL_FIELDS, type NpmMaterial } from './material';
import { NPM_PATTERNS } from './patterns';
import { detectNpmToken } from './token-format';

// npm registry tokens as Leakstop knows them: a token has no public id, so an incident is named by a
// short hash of its value (the same from every trigger); the token itself waits in the vault.

const ID = /^sha256:[0-9a-f]{16}$/;
/** How the audit names a listed token: by its token list key (providers/npm/listing.ts). */
export const NPM_KEY_ID = 'npm-key:';

/**
 * Scanners' names. GitHub secret scanning: `npm_access_token`. TruffleHog (proto/detector_type.proto):
 * `NpmToken` = 49, for both its detectors (npmtoken: UUID tokens beside an npm keyword; npmtokenv2:
 * `npm_…`, checked against the registry an .npmrc names); `NpmTokenV2` is accepted as other tools
 * name that detector.
 */
const GITHUB_TYPES = ['npm_access_token'];
const TRUFFLEHOG_DETECTORS = ['NpmToken', 49, 'NpmTokenV2'];

/** `sha256:0123abcd…`: enough of the id to tell incidents apart, short enough to read. */
export const shortId = (id: string) => (ID.test(id) ? `${id.slice(0, 15)}…` : 'sha256:…');

function recognise(f: Finding): Recognition {
  if (!f.raw) return { unidentified: 'the finding holds no npm token' };
  const raw = f.raw.trim();
  if (!detectNpmToken(raw)) {
    if (f.scanner === 'pasted') return { invalid: 'paste the leaked npm token itself (npm_…, a legacy UUID token, or your registry\'s token): it identifies the leak and goes to the vault' };
    return { ignore: 'not an npm registry token that Leakstop can act on' };
  }
  return { credentialId: secretId(raw), secret: raw };
}

export const npmTokenKind: CredentialKind = {
  kind: 'npm-token',
  idPrefix: 'npm-token',
  label: 'npm token',
  reportHint: 'npm: paste the leaked token itself (npm_…); it is kept in the vault, never shown.',
  checkId(id) {
    if (ID.test(id)) return undefined;
    // The value is never repeated: a person may have put the token itself here.
    if (detectNpmToken(id.trim())) return "must be the token's id (sha256:<16 hex>), not the token itself: report the token through a trigger, which keeps it in the vault";
    return "must be the token's id (sha256:<16 hex>), as Leakstop derives it from the token";
  },
  // A listed token's key is no secret (it revokes nothing without the account): its start is enough to find it.
  display: (id) => (id.startsWith(NPM_KEY_ID) ? `npm key ${id.slice(NPM_KEY_ID.length, NPM_KEY_ID.length + 8)}…` : `npm ${shortId(id)}`),
  secretNames: /^NPM_(AUTH_)?TOKEN$|^NODE_AUTH_TOKEN$|_NPM_TOKEN$/i,
  patterns: NPM_PATTERNS.leaks,
  scanners: { github: GITHUB_TYPES, trufflehog: TRUFFLEHOG_DETECTORS },
  recognise,
  materialFields: NPM_MATERIAL_FIELDS,
  fields: ['token'],
  render(material, field) {
    const m: NpmMaterial = material;
    if (!m?.secret) return undefined;
    if (field === 'token') return m.secret;
    return field === 'json' ? JSON.stringify({ NPM_TOKEN: m.secret }) : undefined;
  },
  renderBlastRadius: renderNpmBlastRadius,
};
