import type { ProviderPatterns } from '../../domain/secret-patterns';

// PostgreSQL passwords as they appear in text: inside a connection URI, or as libpq's `password=` in a
// key=value string. The scheme (or `password=`) stays visible so people know what was there; user and
// password are masked together. Linear-time rules: domain/secret-patterns.ts (a literal prefix, then
// bounded character classes; the quoted value's two branches never match the same character).

export const POSTGRES_PATTERNS = {
  leaks: {
    /** `postgres://user:password@…` or `postgresql://…`: a URI with a password. The host stays readable. */
    'postgres-url': { source: '((?:postgres(?:ql)?|POSTGRES(?:QL)?)://)[^\\s:/@\'"<>]{1,63}:[^\\s\'"<>]{1,256}@' },
    /** libpq's key=value form: `password=secret` or `password='with spaces'`. */
    'postgres-password': {
      source: "(?<![A-Za-z0-9_])(password\\s{0,8}=\\s{0,8})(?:'(?:[^'\\\\]|\\\\.){1,256}'|[^\\s'\\\\]{1,256})",
      // A refused paste needs a real value, not `password=` followed by a placeholder word.
      pasted: (m: string) => m.replace(/^password\s*=\s*/, '').replace(/^'|'$/g, '').length >= 8,
    },
  },
} as const satisfies ProviderPatterns;
