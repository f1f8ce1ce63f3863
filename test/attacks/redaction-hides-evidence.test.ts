import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { redact } from '../../domain/redact';
import { looksLikeSecret } from '../../domain/secret-patterns';
import { GITHUB_TOKEN_FIELD, GitHubTokenProvider } from '../../providers/github/credential';
import { RevocationQueue } from '../../providers/github/revocation-queue';
import { LocalFileVault } from '../../providers/local-vault/vault';
import { keepSecret } from '../../triggers/keep-secret';
import { FakeGitHub } from '../github/server';
import { classicToken, fineGrainedToken, randomBase62 } from '../github/tokens';
import { scratchDir } from '../support/env';

// Whatever enters the vault used to be redacted everywhere from then on, so a sender could make any
// word vanish from every log, notification and post-mortem: report it as a leaked secret. A signed
// scanner finding whose Raw is the repository's name, a commit or a key id hides that evidence; and the
// facts Leakstop keeps about a GitHub token (its owner's login, its scopes) vanished the same way.
// Only real secret values may be registered: secret fields, shaped or random like a credential.

const vaultIn = (name: string) => new LocalFileVault(path.join(scratchDir(name), 'vault'));

test('a finding whose "secret" is an ordinary word, a commit or a key id does not hide them', async () => {
  const dir = scratchDir('evidence');
  const vault = new LocalFileVault(path.join(dir, 'vault'));
  const commit = randomBytes(20).toString('hex');
  for (const raw of ['acme-corp-deploy', commit, 'AKIAIOSFODNN7EXAMPLE', 'PaymentsServiceProductionDeployConfig']) {
    const { handle } = await keepSecret(vault, 'leaked', 'github-token', raw);
    await new LocalFileVault(path.join(dir, 'vault')).get(handle); // a worker that starts later reads it back
  }
  const report = `acme-corp-deploy pushed ${commit} to acme/PaymentsServiceProductionDeployConfig`;
  expect(redact(report)).toBe(report);
  expect(redact('key AKIAIOSFODNN7EXAMPLE')).toBe('key AKIA…MPLE');
});

test("identifying a GitHub token keeps its owner's login and scopes readable, and the token hidden", async () => {
  const gh = await new FakeGitHub().start();
  try {
    const vault = vaultIn('facts');
    const provider = new GitHubTokenProvider({ baseUrl: gh.url, revocations: new RevocationQueue({ baseUrl: gh.url }) }, vault);
    const token = classicToken();
    // A login as random as a credential: a fact all the same.
    const login = `Mk7Qp2Xz9Rt4Lw8Vn3Bc6Hd5J-${randomBase62(8)}`;
    gh.addToken(token, { login, kind: 'classic-pat', scopes: ['repo', 'admin:org', 'workflow'] });
    await vault.put('leaked/facts-test', { [GITHUB_TOKEN_FIELD]: token });

    const cred = { id: 'sha256:0123456789abcdef', secretHandle: 'leaked/facts-test' };
    await expect(provider.identify(cred)).resolves.toMatchObject({ owner: login });
    const line = `owner ${login} with scopes repo,admin:org,workflow`;
    expect(redact(line)).toBe(line);
    expect(redact(`token=${token}`)).not.toContain(token.slice(4));
  } finally {
    await gh.stop();
  }
});

test('a real secret without a known shape is still registered, in its encodings', async () => {
  const vault = vaultIn('real-secret');
  let secret = randomBase62(32); // random like an API key, but in no provider's format
  while (!looksLikeSecret(secret)) secret = randomBase62(32); // about 1 in 1000 looks too regular to count
  await keepSecret(vault, 'new', 'github-token', secret);
  const out = redact(`a ${secret} b ${Buffer.from(secret).toString('base64')} c ${encodeURIComponent(secret)}`);
  expect(out).toBe('a [redacted] b [redacted] c [redacted]');
});

test('what counts as a secret: credential formats and random keys, not the words and ids that are evidence', () => {
  const evidence = [
    'acme-corp-deploy',
    'octocat-release-bot',
    randomBytes(20).toString('hex'), // a commit
    randomBytes(32).toString('hex'), // a SHA-256 digest
    randomUUID(), // a delivery or run id
    'AKIAIOSFODNN7EXAMPLE',
    'leak-aws-0123456789abcdef',
    'sha256:0123456789abcdef',
    'repo,admin:org,workflow',
    'PaymentsServiceProductionDeployConfig2',
    'AcmeCorp/Repo2/blob/Main/src/Config2024',
    'arn:aws:iam::123456789012:user/Deploy2Bot',
    '2024-05-01T12:34:56.789Z',
  ];
  expect(evidence.filter(looksLikeSecret)).toEqual([]);
  const secrets = [
    classicToken(),
    fineGrainedToken(),
    `xoxb-${Date.now()}-${randomBase62(24)}`,
    ['wJalrXUtnFEMI', 'K7MDENG', `bPxRfiCY${randomBase62(10)}`].join('/'),
    generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  ];
  expect(secrets.filter((s) => !looksLikeSecret(s))).toEqual([]);
});
