import { markdownText } from '../../domain/escape';
import { isUnknown, type Known, type Unknown } from '../../domain/results';
import type { NpmMaterial } from './material';

// What describe finds about a leaked npm token, and how the post-mortem shows it. Account names and
// CIDR ranges come from the registry, which may be anyone's: every value is escaped for Markdown.

export type NpmBlastRadiusFacts = {
  registry: string;
  /** What leaked, for people: "npm token (npm_…)", "registry token (JWT)". */
  credential: string;
  account: Known<string>;
  /** What the token may do, as the token list says. */
  restrictions: Known<{ readonly: boolean; cidr: string[]; type?: string }>;
  created: Known<string>;
  otherTokens: Known<number>;
  recentActivity: Unknown;
};

const NO_ACTIVITY: Unknown = {
  unknown: true,
  reason: "the npm registry API does not say what a token did; see the packages' versions and publish times, and npm audit signatures",
};

export function blastRadiusFacts(registry: string, credential: string, facts: NpmMaterial, live: boolean): NpmBlastRadiusFacts {
  const missing: Unknown = { unknown: true, reason: live ? 'the token list shows no entry for this token (a session token from npm login is not listed)' : 'the token was already refused, and this was not recorded while it worked' };
  return {
    registry,
    credential,
    account: facts.npmUser ?? { unknown: true, reason: live ? 'whoami named no account' : missing.reason },
    restrictions:
      facts.npmReadonly === undefined
        ? missing
        : { readonly: facts.npmReadonly === 'true', cidr: (facts.npmCidr ?? '').split(',').filter(Boolean), ...(facts.npmTokenType ? { type: facts.npmTokenType } : {}) },
    created: facts.npmCreated ?? missing,
    otherTokens: facts.npmOtherTokens === undefined ? missing : Number(facts.npmOtherTokens),
    recentActivity: NO_ACTIVITY,
  };
}

/** The post-mortem's blast-radius lines; tolerant of facts recorded by another version. */
export function renderNpmBlastRadius(raw: Record<string, unknown>): string[] {
  const f = raw as Partial<NpmBlastRadiusFacts>;
  const known = <T>(v: Known<T> | undefined, show: (x: T) => string) =>
    v === undefined ? 'not recorded' : isUnknown(v) ? `unknown (${markdownText(v.reason)})` : show(v);
  return [
    `- npm credential: ${markdownText(String(f.credential ?? 'token'))} on ${markdownText(String(f.registry ?? 'the registry'))}`,
    `- Account: ${known(f.account, markdownText)}`,
    `- Restrictions: ${known(f.restrictions, (r) => `${r.readonly ? 'read-only' : 'read and publish'}; ${r.cidr.length ? `only from ${r.cidr.map(markdownText).join(', ')}` : 'from any address'}${r.type ? `; ${markdownText(r.type)}` : ''}`)}`,
    `- Created: ${known(f.created, markdownText)}`,
    `- Other tokens of the account: ${known(f.otherTokens, String)}`,
    `- Recent activity: ${known(f.recentActivity, () => 'none recorded')}`,
  ];
}
