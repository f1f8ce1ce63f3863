import { generateKeyPairSync } from 'node:crypto';
import { redact } from '../../domain/redact';
import { leakPatterns } from '../../domain/secret-patterns';
import { catalog } from '../../providers';
import { findSecret } from '../../triggers/slack/secrets';
import { classicToken, fineGrainedToken, randomBase62 } from '../github/tokens';

// A credential of a kind that only one of several copied pattern lists knew: a rotating Slack token
// (xoxe-) was refused when pasted into Slack but written unmasked into logs and reports; app-level
// tokens and incoming-webhook URLs were known to neither. Every kind is checked both ways here:
// recognised when pasted, masked wherever it is written; a format a provider module registers
// without examples here fails.

type LeakKind = string;

// Tokens are assembled at run time: token-shaped literals in the repository look like real leaks.
const slack = (prefix: string) => `${prefix}-${Date.now()}-${randomBase62(12)}-${randomBase62(24)}`;
const pem = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

const EXAMPLES: Record<LeakKind, string[]> = {
  'aws-secret-access-key': [['wJalrXUtnFEMI', 'K7MDENG', `bPxRfiCY${randomBase62(10)}`].join('/')],
  'github-classic-token': (['classic-pat', 'oauth', 'user-to-server', 'installation', 'refresh'] as const).map((k) => classicToken(k)),
  'github-fine-grained-token': [fineGrainedToken()],
  'slack-token': ['xoxb', 'xoxp', 'xoxa', 'xoxo', 'xoxs', 'xoxr', 'xoxe'].map(slack),
  'slack-rotated-token': ['xoxe.xoxp', 'xoxe.xoxb'].map(slack),
  'slack-app-token': [`xapp-1-A${randomBase62(10).toUpperCase()}-${Date.now()}-${randomBase62(64).toLowerCase()}`],
  'slack-webhook-url': [`https://hooks.slack.com/services/T${randomBase62(10).toUpperCase()}/B${randomBase62(10).toUpperCase()}/${randomBase62(24)}`],
  'private-key': [pem()],
  'postgres-url': [`postgres://app:${randomBase62(24)}@db.internal:5432/orders`, `postgresql://app:${randomBase62(24)}@db.internal`],
  'postgres-password': [`host=db.internal user=app password=${randomBase62(24)} dbname=orders`],
  // The guided runbook's types (providers/guided/catalogue.ts).
  'google-api-key': [`AIza${randomBase62(35)}`],
  'openai-api-key': [`sk-proj-${randomBase62(48)}`, `sk-svcacct-${randomBase62(44)}`],
  'openai-legacy-key': [`sk-${randomBase62(20)}T3BlbkFJ${randomBase62(20)}`],
  'anthropic-api-key': [`sk-ant-api03-${randomBase62(60)}`],
  'stripe-secret-key': [`sk_live_${randomBase62(24)}`, `rk_live_${randomBase62(24)}`],
  'sendgrid-api-key': [`SG.${randomBase62(22)}.${randomBase62(43)}`],
  'azure-client-secret': [`${randomBase62(3)}8Q~${randomBase62(31)}`],
  // npm registry tokens (providers/npm/patterns.ts): npmjs.org's, a registry's JWT, any token on an .npmrc line.
  'npm-token': [`npm_${randomBase62(36)}`],
  'npm-registry-jwt': [`eyJ${randomBase62(30)}.eyJ${randomBase62(60)}.${randomBase62(43)}`],
  'npmrc-auth-token': [`//registry.example.com/:_authToken=${randomBase62(8).toLowerCase()}-${randomBase62(4).toLowerCase()}-4${randomBase62(3).toLowerCase()}-a${randomBase62(3).toLowerCase()}-${randomBase62(12).toLowerCase()}`],
};

/** The last 12 characters of the last random-looking run: what must never be written. */
const randomTail = (example: string) => example.match(/[A-Za-z0-9+/]{12,}/g)!.at(-1)!.slice(-12);

const cases = (Object.entries(EXAMPLES) as [LeakKind, string[]][]).flatMap(([kind, examples]) => examples.map((example) => [kind, example] as const));

test.each(cases)('%s is recognised when pasted and masked when written: %#', (kind, example) => {
  expect(findSecret(`here it is: ${example} thanks`)).toBe(kind);
  const out = redact(`here it is: ${example} thanks`);
  // The random part is the secret; a format prefix may stay so people know what kind it was.
  expect(out).not.toContain(randomTail(example));
  expect(out).toMatch(/^here it is: .*\[redacted.* thanks$/s);
});

test('every format the provider modules register has examples above', () => {
  expect(catalog.kinds.length).toBeGreaterThan(0); // the catalog registered the modules' formats on load
  expect(Object.keys(EXAMPLES).sort()).toEqual([...leakPatterns().keys()].sort());
});
