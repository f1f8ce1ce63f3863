import type { ProviderPatterns } from '../../domain/secret-patterns';

// npm registry credentials as they appear in text. Linear-time rules: domain/secret-patterns.ts.
// npmjs.org tokens since 2021 (github.blog, "Announcing npm's new access token format"): `npm_`, then 36
// base62 characters whose last six are a CRC32 checksum in base62, GitHub's format. Older npmjs.org
// tokens are bare UUIDs, which nothing tells from any other UUID in free text: only a scanner's finding
// or an `.npmrc` line names them. Registries such as Verdaccio issue JWTs.

const NPM_EDGE_BEFORE = '(?<![A-Za-z0-9_])';
const NPM_TOKEN_BODY_LENGTH = 36;

export const NPM_PATTERNS = {
  bodyLength: NPM_TOKEN_BODY_LENGTH,
  /** An npmjs.org token exactly; groups: entropy (30), checksum (6). */
  npmToken: `npm_([A-Za-z0-9]{30})([A-Za-z0-9]{6})`,
  /** A bare UUID: npmjs.org's tokens before 2021. */
  legacyToken: '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}',
  /** A JWT (header.payload.signature, base64url): what Verdaccio issues in its `security.api.jwt` mode. */
  jwt: 'eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{16,}',
  // In free text a token may be cut short or run on: any length from 30 characters up is masked.
  leaks: {
    'npm-token': { source: `${NPM_EDGE_BEFORE}(npm_)[A-Za-z0-9]{30,}` },
    /** `//registry.example.com/:_authToken=…` in an .npmrc: whatever the token's format, the line names it. An `${ENV}` reference is no secret. */
    // `=` ends the value (base64 padding aside), so a line of repeated `_authToken=` is still read once.
    'npmrc-auth-token': { source: '(_authToken[ \\t]*=[ \\t]*)[^\\s$"\'=][^\\s"\'=]{7,}={0,2}' },
    /** A registry's JWT token (Verdaccio): the payload names the account, the signature is the secret. */
    // Starts only where a base64url run starts (`-` too), so `eyJ-eyJ-…` is not scanned from every `eyJ`.
    'npm-registry-jwt': { source: '(?<![A-Za-z0-9_-])(eyJ)[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{16,}' },
  },
} as const satisfies ProviderPatterns;
