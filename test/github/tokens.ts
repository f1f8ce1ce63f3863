import { randomInt } from 'node:crypto';
import { classicChecksum, type GitHubTokenKind } from '../../providers/github/token-format';

// Tokens are assembled at run time from pieces: a token-shaped literal in the repository would trip
// the pre-commit secret check (and would be indistinguishable from a real leak).

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const PREFIX: Record<Exclude<GitHubTokenKind, 'fine-grained-pat'>, string> = {
  'classic-pat': 'ghp',
  oauth: 'gho',
  'user-to-server': 'ghu',
  installation: 'ghs',
  refresh: 'ghr',
};

export const randomBase62 = (length: number) => Array.from({ length }, () => ALPHABET[randomInt(62)]).join('');

/** A token of a classic format with a correct checksum (or a corrupted one). */
export function classicToken(kind: keyof typeof PREFIX = 'classic-pat', o: { corrupt?: boolean } = {}): string {
  const entropy = randomBase62(30);
  const checksum = classicChecksum(entropy);
  const last = checksum.at(-1)!;
  const wrong = checksum.slice(0, -1) + ALPHABET[(ALPHABET.indexOf(last) + 1) % 62];
  return [PREFIX[kind], '_', entropy, o.corrupt ? wrong : checksum].join('');
}

export const fineGrainedToken = () => ['github', 'pat', randomBase62(22)].join('_') + '_' + randomBase62(59);
