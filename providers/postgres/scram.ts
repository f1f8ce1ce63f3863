import { createHash, createHmac, pbkdf2Sync, randomBytes, randomInt } from 'node:crypto';

// A new password never travels in SQL text: `ALTER ROLE … PASSWORD` receives its SCRAM-SHA-256 verifier,
// computed here (as psql's \password does), so the server's logs and pg_stat_statements hold only that.
// RFC 5802 / 7677; PostgreSQL's format: SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>.

const ITERATIONS = 4096;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A new password: 32 characters of A-Z a-z 0-9 (190 bits), safe in a URL and in every consumer's format unescaped. */
export function newPassword(): string {
  return Array.from({ length: 32 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
}

/** The verifier PostgreSQL stores for `password` (ASCII: SASLprep leaves it as it is). */
export function scramVerifier(password: string): string {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password, salt, ITERATIONS, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
