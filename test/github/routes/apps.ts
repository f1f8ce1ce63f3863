import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { FakeGitHubState } from '../fake-state';
import { classicToken } from '../tokens';
import { HttpError, type Route } from '../router';

// A GitHub App's installation tokens, as GitHub mints them: the App proves itself with a JWT signed by
// its private key (RS256; `iss` the App's id or client id; issued at most 60 s in the future, expiring at
// most 10 minutes after it was issued), and gets an installation token (`ghs_`) that lasts an hour and acts
// as the installation's bot account.

export interface AppRecord {
  /** The App's id and its client id: GitHub accepts either as `iss`. */
  ids: string[];
  publicKey: KeyObject;
  /** Installation id → the bot login its tokens act as. */
  installations: Map<number, string>;
  /** Installation tokens minted so far. */
  minted: { installationId: number; token: string; expiresAt: string }[];
}

const b64json = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

export function appRoutes(apps: AppRecord[], state: FakeGitHubState): Route[] {
  /** The App whose key signed this JWT, or GitHub's 401. */
  const appOf = (jwt: string | undefined): AppRecord => {
    const parts = (jwt ?? '').split('.');
    if (parts.length !== 3) throw new HttpError(401, 'A JSON web token could not be decoded');
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      [header, claims] = [b64json(parts[0]!), b64json(parts[1]!)];
    } catch {
      throw new HttpError(401, 'A JSON web token could not be decoded');
    }
    const app = apps.find((a) => a.ids.includes(String(claims.iss)));
    if (header.alg !== 'RS256' || !app) throw new HttpError(401, "'Issuer' claim ('iss') must be an Integer");
    const signed = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), app.publicKey, Buffer.from(parts[2]!, 'base64url'));
    if (!signed) throw new HttpError(401, 'A JSON web token could not be decoded');
    const now = Math.floor(Date.now() / 1000);
    const [iat, exp] = [Number(claims.iat), Number(claims.exp)];
    if (!(iat <= now + 60) || !(exp > now) || exp - iat > 600) throw new HttpError(401, "'Expiration time' claim ('exp') is too far in the future");
    return app;
  };
  return [
    {
      method: 'POST',
      route: '/app/installations/{installation_id}/access_tokens',
      handle(req) {
        const app = appOf(req.token);
        const installationId = Number(req.params.installation_id);
        const login = app.installations.get(installationId);
        if (!login) throw new HttpError(404, 'Not Found');
        const token = classicToken('installation');
        const expiresAt = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
        state.tokens.set(token, { token, login, kind: 'installation', scopes: [] });
        app.minted.push({ installationId, token, expiresAt });
        return { status: 201, body: { token, expires_at: expiresAt, permissions: { organization_personal_access_tokens: 'read' }, repository_selection: 'all' } };
      },
    },
  ];
}

export const publicKeyOf = (pem: string) => createPublicKey(pem);
