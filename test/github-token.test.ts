import { crc32 as zlibCrc32 } from 'node:zlib';
import {
  base62,
  classicChecksum,
  crc32,
  detectGitHubToken,
  findGitHubTokens,
  redactGitHubToken,
  redactGitHubTokens,
} from '../providers/github/token-format';
import { classicToken, fineGrainedToken, randomBase62 } from './github/tokens';

describe('GitHub token formats', () => {
  test('CRC32 agrees with zlib on arbitrary text', () => {
    for (const text of ['', 'a', 'The quick brown fox jumps over the lazy dog', randomBase62(30), 'é✓']) {
      expect(crc32(text)).toBe(zlibCrc32(text));
    }
    expect(crc32('123456789')).toBe(0xcbf43926); // the standard CRC-32 check value
  });

  test('checksum is base62 of the CRC32, left-padded to 6 characters', () => {
    // Entropy and checksum of an expired example token published with the format's write-up
    // (gist coolaj86/eb8cddfd3e4251258712dfed03e1f86d); neither half is a token by itself.
    expect(classicChecksum('zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ')).toBe('0mLq17');
    expect(base62(0, 6)).toBe('000000');
    expect(base62(61, 6)).toBe('00000z');
    expect(base62(62, 6)).toBe('000010');
    expect(base62(0xffffffff, 6)).toBe('4gfFC3'); // the largest CRC still fits in 6 characters
  });

  test.each([
    ['classic-pat'],
    ['oauth'],
    ['user-to-server'],
    ['installation'],
    ['refresh'],
  ] as const)('a %s token with a correct checksum is valid, a corrupted one is not', (kind) => {
    expect(detectGitHubToken(classicToken(kind))).toEqual({ kind, valid: true });
    expect(detectGitHubToken(classicToken(kind, { corrupt: true }))).toEqual({ kind, valid: false });
  });

  test('fine-grained PATs are recognised by shape', () => {
    expect(detectGitHubToken(fineGrainedToken())).toEqual({ kind: 'fine-grained-pat', valid: true });
    const short = fineGrainedToken().slice(0, -1);
    expect(detectGitHubToken(short)).toBeUndefined();
  });

  test('strings that are not token-shaped are not recognised', () => {
    const good = classicToken();
    for (const text of [good.slice(0, -1), `${good}x`, ` ${good}`, ['ghx', '_', randomBase62(36)].join(''), 'AKIAIOSFODNN7EXAMPLE', '']) {
      expect(detectGitHubToken(text)).toBeUndefined();
    }
  });

  test('free text is scanned for every token, with its kind, validity and offset', () => {
    const pat = classicToken('classic-pat');
    const bad = classicToken('installation', { corrupt: true });
    const fine = fineGrainedToken();
    const text = `GITHUB_TOKEN=${pat}\nold: "${bad}" and ${fine}.\nglued: x${classicToken()} ${classicToken()}y`;
    expect(findGitHubTokens(text)).toEqual([
      { token: pat, kind: 'classic-pat', valid: true, index: text.indexOf(pat) },
      { token: bad, kind: 'installation', valid: false, index: text.indexOf(bad) },
      { token: fine, kind: 'fine-grained-pat', valid: true, index: text.indexOf(fine) },
    ]);
  });

  test('redaction keeps the kind and hides the secret', () => {
    const pat = classicToken();
    const fine = fineGrainedToken();
    expect(redactGitHubToken(pat)).toBe(`ghp_…${pat.slice(-4)}`);
    expect(redactGitHubToken(fine)).toBe(`github_pat_…${fine.slice(-4)}`);
    const text = redactGitHubTokens(`bad credentials for ${pat} and ${fine}`);
    expect(text).toBe(`bad credentials for ghp_…${pat.slice(-4)} and github_pat_…${fine.slice(-4)}`);
  });
});
