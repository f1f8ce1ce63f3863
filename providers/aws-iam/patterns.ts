import { entropy, switches, type ProviderPatterns } from '../../domain/secret-patterns';

// AWS access keys as they appear in text: the key id (an identifier, shown redacted, never a secret) and
// the secret access key (masked wherever it appears). Linear-time rules: domain/secret-patterns.ts.

export const AWS_PATTERNS = {
  /** An access key id, long-term (AKIA) or temporary (ASIA): an identifier, shown as AKIA…WXYZ, never a secret. */
  accessKeyId: '(?:AKIA|ASIA)[A-Z2-7]{16}',
  leaks: {
    /** A secret access key: 40 characters of base64, not part of a longer run. */
    'aws-secret-access-key': {
      source: '(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])',
      // Random base64 has both cases; a git SHA (hex) or a word in one case is not a key.
      plausible: (m: string) => /[A-Z]/.test(m) && /[a-z]/.test(m),
      // A paste is refused only when it is random the way a key is, not for a 40-character path.
      pasted: (m: string) => /[A-Z]/.test(m) && /[a-z]/.test(m) && entropy(m) >= 4.0 && switches(m) >= 0.3,
    },
  },
} as const satisfies ProviderPatterns;
