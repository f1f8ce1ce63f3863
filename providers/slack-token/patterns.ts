import type { ProviderPatterns } from '../../domain/secret-patterns';

// Slack credentials as they appear in text (moved here unchanged from domain/secret-patterns.ts, whose
// header states the linear-time rules every pattern keeps: redaction runs them over attacker text).
// Token types: docs.slack.dev "Token types"; rotating tokens: "Using token rotation".

const SLACK_EDGE_BEFORE = '(?<![A-Za-z0-9_])';

export const SLACK_PATTERNS = {
  leaks: {
    // First: `xoxp-` inside `xoxe.xoxp-` also matches slack-token below, and whoever takes the first
    // match (a refused paste, a mask) must name the rotating kind.
    /** Access tokens issued by token rotation: xoxe.xoxp-…, xoxe.xoxb-… */
    'slack-rotated-token': { source: `${SLACK_EDGE_BEFORE}(xoxe\\.xox[bp]-)[A-Za-z0-9-]{10,}` },
    /** Bot (b), user (p), workspace/app (a, o), legacy (s), refresh (r) tokens, and rotating tokens' refresh tokens (xoxe-). */
    'slack-token': { source: `${SLACK_EDGE_BEFORE}(xox[abposre]-)[A-Za-z0-9-]{10,}` },
    /** App-level tokens (Socket Mode). */
    'slack-app-token': { source: `${SLACK_EDGE_BEFORE}(xapp-)[A-Za-z0-9-]{10,}` },
    /** Incoming webhooks: whoever has the URL posts to the channel. Team and channel ids are bounded so a failed match stays short. */
    'slack-webhook-url': { source: '(hooks\\.slack\\.com/services/)T[A-Z0-9]{1,20}/B[A-Z0-9]{1,20}/[A-Za-z0-9]{8,}' },
  },
} as const satisfies ProviderPatterns;
