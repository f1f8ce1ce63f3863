import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { registerSecret } from '../../domain/redact';
import { SLACK_TOKEN_ENV } from './settings';
import { slackKindOf } from './token-format';

// The refresh tokens of installations whose apps use token rotation, in a file an operator keeps
// (LEAKSTOP_SLACK_REFRESH_TOKEN_FILE): a JSON object from the installation, named as Leakstop names a
// token's owner (`T…/U…`: workspace, then the bot user or the user), to its refresh token (`xoxe-…`).
// The file is read whenever a refresh token is needed, never kept: once Leakstop has exchanged one,
// the operator replaces it with the new one (the consumers that ask for `refreshToken` receive it).
// Problems name the variable and the installation, never a value.

const INSTALLATION = /^[TE][A-Z0-9]{1,20}\/[UW][A-Z0-9]{1,20}$/;

const FileSchema = z.record(z.string(), z.string());

export type RefreshTokens = { ok: true; tokens: ReadonlyMap<string, string> } | { ok: false; problem: string };

/** Reads and checks the file; every refresh token read is registered for redaction at once. */
export function readRefreshTokens(file: string): RefreshTokens {
  const where = `${SLACK_TOKEN_ENV.refreshTokenFile} (${file})`;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, problem: `${where}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, problem: `${where}: must be a JSON object of installation → refresh token` };
  }
  const r = FileSchema.safeParse(json);
  if (!r.success) return { ok: false, problem: `${where}: must be a JSON object of installation → refresh token (strings)` };
  const problems: string[] = [];
  for (const [installation, token] of Object.entries(r.data)) {
    // A key that is not an installation may be a token written in the wrong place: it is never repeated.
    if (!INSTALLATION.test(installation)) problems.push(`${where}: a key is not an installation as Leakstop names a Slack token owner (T…/U…: workspace, then bot user or user)`);
    else if (slackKindOf(token) !== 'refresh') problems.push(`${where}: ${installation}: must be a refresh token (xoxe-…)`);
  }
  if (problems.length) return { ok: false, problem: [...new Set(problems)].join('\n') };
  for (const token of Object.values(r.data)) registerSecret(token);
  return { ok: true, tokens: new Map(Object.entries(r.data)) };
}
