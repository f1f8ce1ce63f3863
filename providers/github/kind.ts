import { redactId } from '../../domain/credential';
import { markdownText } from '../../domain/escape';
import { secretId } from '../../domain/fingerprint';
import { isUnknown, type Known } from '../../domain/results';
import type { CredentialKind, Finding, Recognition } from '../module';
import { GITHUB_PATTERNS } from './patterns';
import { detectGitHubToken } from './token-format';

// GitHub tokens as Leakstop knows them: a token has no public id, so its incident is named by a short
// hash of its value (the same from every trigger); the token itself waits in the vault.

const TOKEN_TYPES = ['github_personal_access_token', 'github_oauth_access_token', 'github_app_installation_access_token', 'github_refresh_token'];
const IGNORED_TYPES: Record<string, string> = {
  github_ssh_private_key: 'an SSH private key is not a token: Leakstop has no provider that rotates SSH keys',
  github_test_token: 'a GitHub test token grants no access',
};

/** What describe finds: the token's scopes where GitHub reports them. */
export interface GitHubBlastRadiusFacts {
  scopes: Known<string[]>;
  recentActivity: Known<never[]>;
}

function recognise(f: Finding): Recognition {
  if (f.scanner === 'github-secret-scanning' && f.type && IGNORED_TYPES[f.type]) return { ignore: IGNORED_TYPES[f.type]! };
  if (!f.raw) return { unidentified: 'the finding holds no token' };
  if (f.scanner === 'pasted' && !detectGitHubToken(f.raw)?.valid) return { invalid: 'paste the leaked GitHub token itself (ghp_…, github_pat_…): it identifies the leak and goes to the vault' };
  return { credentialId: secretId(f.raw), secret: f.raw };
}

export const githubTokenKind: CredentialKind = {
  kind: 'github-token',
  idPrefix: 'github-token',
  label: 'GitHub token',
  reportHint: 'GitHub: the leaked token itself; it is kept in the vault, never shown.',
  checkId: (id) => (/^sha256:[0-9a-f]{16}$/.test(id) ? undefined : "must be the token's id (sha256:<16 hex>), not the token: report the token itself through a trigger"),
  // Incident ids (`sha256:…`) and SSO-listed tokens (`ghp_…12345678`) are redacted; a fine-grained
  // token's GitHub id is public (the org's settings and audit log show it) and is what people look up.
  display: (id) => (/^fine-grained-pat:\d{1,20}$/.test(id) ? id : redactId(id)),
  secretNames: /^(GH|GITHUB)_(PAT|TOKEN|ACCESS_TOKEN)$|PERSONAL_ACCESS_TOKEN|^(GH|GITHUB)_.*_TOKEN$|_GH_TOKEN$|_GITHUB_TOKEN$/i,
  patterns: GITHUB_PATTERNS.leaks,
  scanners: { github: [...TOKEN_TYPES, ...Object.keys(IGNORED_TYPES)], trufflehog: ['Github', 8] },
  recognise,
  materialFields: { secret: 'secret', login: 'fact', scopes: 'fact' },
  fields: ['token'],
  render(material, field) {
    if (!material.secret) return undefined;
    if (field === 'token') return material.secret;
    return field === 'json' ? JSON.stringify({ GITHUB_TOKEN: material.secret }) : undefined;
  },
  renderBlastRadius(raw) {
    const f = raw as unknown as GitHubBlastRadiusFacts;
    const scopes = isUnknown(f.scopes) ? `unknown (${markdownText(f.scopes.reason)})` : f.scopes.length ? f.scopes.map(markdownText).join(', ') : 'none';
    const activity = isUnknown(f.recentActivity) ? `unknown (${markdownText(f.recentActivity.reason)})` : 'none recorded';
    return [`- Token scopes: ${scopes}`, `- Recent activity: ${activity}`];
  },
};
