import { createHash } from 'node:crypto';
import type { CredentialKind, Finding, Recognition } from '../module';
import { renderPostgresBlastRadius } from './blast-radius';
import { canonical, connectionUrl, hostPort, parseConnectionString, type PgCredential } from './connection-string';
import { POSTGRES_PATTERNS } from './patterns';

// A leaked PostgreSQL credential is a role's password on a server. Its credential id names the role and
// the server as the connection string did, plus a short hash of the credential, so each leaked password
// is its own incident: `app@db.internal:5432#3f9a1c0b2e4d5f60`. The connection string itself (in one
// canonical form) waits in the vault, where the trigger put it under that id.

const ID = /^([A-Za-z0-9_$.-]{1,63})@(\[[0-9a-f:.]{2,45}\]|[a-z0-9](?:[a-z0-9.-]{0,108}[a-z0-9])?):(\d{1,5})#([0-9a-f]{16})$/;

/** Scanners' names: TruffleHog proto/detector_type.proto `Postgres = 968`; GitGuardian's "PostgreSQL Credentials" detector. */
const TRUFFLEHOG_DETECTORS = ['Postgres', 968];
const GITGUARDIAN_DETECTORS = ['postgresql_credentials'];

/** The hash in a credential id: of the canonical connection string (role, password, host, port). */
export const credentialFingerprint = (c: PgCredential) => createHash('sha256').update(canonical(c)).digest('hex').slice(0, 16);

export const credentialIdOf = (c: PgCredential) => `${c.user}@${hostPort(c.host, c.port)}#${credentialFingerprint(c)}`;

/** The parts of a valid credential id. */
export function parseCredentialId(id: string): { role: string; host: string; port: number; fingerprint: string } | undefined {
  const m = ID.exec(id);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { role: m[1]!, host: m[2]!.replace(/^\[(.*)\]$/, '$1'), port, fingerprint: m[4]! };
}

function recognise(f: Finding): Recognition {
  if (!f.raw) return { unidentified: f.scanner === 'gitguardian' ? 'GitGuardian sends a hash of the PostgreSQL credential, not the connection string' : 'the finding holds no connection string' };
  const parsed = parseConnectionString(f.raw);
  if (!parsed.ok) {
    if (f.scanner === 'pasted') {
      return { invalid: `paste the leaked connection string itself (postgres://role:password@host:port/db, or host=… port=… user=… password=…): it names the role and goes to the vault. This one: ${parsed.problem}` };
    }
    return { ignore: `not a PostgreSQL credential Leakstop can act on: ${parsed.problem}` };
  }
  return { credentialId: credentialIdOf(parsed.credential), secret: canonical(parsed.credential) };
}

export const postgresKind: CredentialKind = {
  kind: 'postgres',
  idPrefix: 'postgres',
  label: 'PostgreSQL credential',
  reportHint: 'PostgreSQL: paste the leaked connection string (postgres://role:password@host:port/db or host=… user=… password=…); it is kept in the vault, never shown.',
  checkId(id) {
    if (parseCredentialId(id)) return undefined;
    // The value is never repeated: a person may have put the connection string itself here.
    if (parseConnectionString(id).ok) return 'must be the credential id (role@host:port#<16 hex>), not the connection string: report the connection string through a trigger (Slack, the CLI, a scanner), which keeps it in the vault';
    return 'must be role@host:port#<16 hex>, as Leakstop derives it from the connection string';
  },
  display(id) {
    const p = parseCredentialId(id);
    return p ? `postgres ${p.role}@${hostPort(p.host, p.port)} #${p.fingerprint.slice(0, 8)}` : 'postgres …';
  },
  secretNames: /^(PG|POSTGRES(QL)?|DB|DATABASE)_(PASSWORD|PASS|URL)$|_DATABASE_URL$/i,
  patterns: POSTGRES_PATTERNS.leaks,
  scanners: { trufflehog: TRUFFLEHOG_DETECTORS, gitguardian: GITGUARDIAN_DETECTORS },
  recognise,
  materialFields: {
    pgPassword: 'secret',
    pgUser: 'fact',
    pgHost: 'fact',
    pgPort: 'fact',
    pgDatabase: 'fact',
    /** When the new password was set on the server (the server's clock): sessions older than that used the leaked one. */
    pgAppliedAt: 'fact',
    pgRevokedAt: 'fact',
    /** The leaked role's sessions when it was identified (JSON): containment may end them before the blast radius is mapped. */
    pgSessionsSeen: 'fact',
    pgSessionsSeenAt: 'fact',
  },
  fields: ['url', 'username', 'password', 'host', 'port', 'database'],
  render(m, field) {
    if (!m.pgUser || !m.pgPassword || !m.pgHost || !m.pgPort) return undefined;
    const c: PgCredential = { user: m.pgUser, password: m.pgPassword, host: m.pgHost, port: Number(m.pgPort), database: m.pgDatabase };
    switch (field) {
      case 'url':
        return connectionUrl(c);
      case 'username':
        return c.user;
      case 'password':
        return c.password;
      case 'host':
        return c.host;
      case 'port':
        return String(c.port);
      case 'database':
        return c.database;
      case 'json':
        // libpq's environment variables, and the URL most frameworks read.
        return JSON.stringify({ PGHOST: c.host, PGPORT: String(c.port), PGUSER: c.user, PGPASSWORD: c.password, ...(c.database ? { PGDATABASE: c.database } : {}), DATABASE_URL: connectionUrl(c) });
      default:
        return undefined;
    }
  },
  renderBlastRadius: renderPostgresBlastRadius,
};
