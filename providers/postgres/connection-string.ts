// PostgreSQL credentials as they leak: a connection URI (`postgres://` or `postgresql://`, as libpq reads
// it; TruffleHog's Postgres detector reports `postgresql://user:password@host:port` with the parts
// decoded) or a libpq key=value string (`host=… port=… user=… password=… dbname=…`). Pure: no I/O.
// libpq: "Connection Strings" (https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING).

export interface PgCredential {
  user: string;
  password: string;
  /** Lower-cased; an IPv6 address without brackets. libpq's default when absent: localhost. */
  host: string;
  port: number;
  database?: string;
}

/** Bounds on what is read: role names are at most 63 bytes in PostgreSQL; a password is not a novel. */
const MAX_INPUT = 4096;
const MAX_PASSWORD = 1024;
const DEFAULT_PORT = 5432;

/** A role name Leakstop names incidents with (and quotes as an identifier in SQL): printable, no `@`, `#`, `:`, spaces. */
export const ROLE = /^[A-Za-z0-9_$.-]{1,63}$/;
/** Host names up to 110 characters: the credential id (role, host, port, hash) must fit incident inputs' 200. */
const HOST = /^(?:[a-z0-9](?:[a-z0-9.-]{0,108}[a-z0-9])?|[0-9a-f:.]{2,45})$/;

export type Parsed = { ok: true; credential: PgCredential } | { ok: false; problem: string };

/** A connection URI or key=value string with a user and a password; `problem` says (without the value) what is missing. */
export function parseConnectionString(text: string): Parsed {
  const s = text.trim();
  if (s.length > MAX_INPUT) return { ok: false, problem: 'too long for a connection string' };
  const fields = /^postgres(?:ql)?:\/\//i.test(s) ? fromUri(s) : /^[a-z_]+\s*=/.test(s) ? fromKeyValues(s) : undefined;
  if (!fields) return { ok: false, problem: 'not a PostgreSQL connection string (postgres://… or host=… user=… password=…)' };
  if ('problem' in fields) return { ok: false, problem: fields.problem };
  const { user, password } = fields;
  if (!user) return { ok: false, problem: 'the connection string names no user (role)' };
  if (!password) return { ok: false, problem: 'the connection string holds no password' };
  if (!ROLE.test(user)) return { ok: false, problem: 'the role name is not one Leakstop acts on (letters, digits, _ $ . - up to 63)' };
  if (password.length > MAX_PASSWORD) return { ok: false, problem: 'the password is too long' };
  const host = (fields.host || 'localhost').toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (!HOST.test(host)) return { ok: false, problem: 'the host is not a host name (up to 110 characters) or an IP address' };
  const port = fields.port ? Number(fields.port) : DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { ok: false, problem: 'the port is not a port number' };
  return { ok: true, credential: { user, password, host, port, ...(fields.database ? { database: fields.database } : {}) } };
}

type Fields = { user?: string; password?: string; host?: string; port?: string; database?: string };

function fromUri(s: string): Fields | { problem: string } {
  const rest = s.slice(s.indexOf('://') + 3);
  // The password may hold an unencoded `@` or `/` (TruffleHog decodes it): the host follows the last `@`.
  const at = rest.lastIndexOf('@');
  const userinfo = at === -1 ? '' : rest.slice(0, at);
  const after = at === -1 ? rest : rest.slice(at + 1);
  const hostEnd = after.search(/[/?]/);
  const hostport = (hostEnd === -1 ? after : after.slice(0, hostEnd)).split(',')[0]!; // several hosts: the first
  const tail = hostEnd === -1 ? '' : after.slice(hostEnd);
  const colon = userinfo.indexOf(':');
  const f: Fields = {};
  if (userinfo) {
    f.user = decode(colon === -1 ? userinfo : userinfo.slice(0, colon));
    if (colon !== -1) f.password = decode(userinfo.slice(colon + 1));
  }
  const v6 = /^\[([^\]]*)\](?::(\d*))?$/.exec(hostport);
  if (v6) {
    f.host = v6[1];
    f.port = v6[2] || undefined;
  } else {
    const c = hostport.lastIndexOf(':');
    f.host = decode(c === -1 ? hostport : hostport.slice(0, c));
    f.port = c === -1 ? undefined : hostport.slice(c + 1) || undefined;
  }
  const q = tail.indexOf('?');
  const pathPart = q === -1 ? tail : tail.slice(0, q);
  if (pathPart.length > 1) f.database = decode(pathPart.slice(1));
  if (q !== -1) {
    // libpq reads connection parameters from the query too (`?user=…&password=…&host=…`).
    for (const pair of tail.slice(q + 1).split('&')) {
      const eq = pair.indexOf('=');
      if (eq === -1) continue;
      assign(f, decode(pair.slice(0, eq)), decode(pair.slice(eq + 1)));
    }
  }
  return f;
}

/** `key = value` pairs; a value in single quotes may hold spaces, `\'` and `\\` (libpq's rules). */
function fromKeyValues(s: string): Fields | { problem: string } {
  const f: Fields = {};
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i]!)) i++;
    if (i >= s.length) break;
    const key = /^[a-z_]+/.exec(s.slice(i, i + 40))?.[0];
    if (!key) return { problem: 'the key=value string is malformed' };
    i += key.length;
    while (i < s.length && /\s/.test(s[i]!)) i++;
    if (s[i] !== '=') return { problem: 'the key=value string is malformed' };
    i++;
    while (i < s.length && /\s/.test(s[i]!)) i++;
    let value = '';
    if (s[i] === "'") {
      i++;
      for (; i < s.length && s[i] !== "'"; i++) {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        value += s[i];
      }
      if (s[i] !== "'") return { problem: 'a quoted value in the key=value string is not closed' };
      i++;
    } else {
      for (; i < s.length && !/\s/.test(s[i]!); i++) {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        value += s[i];
      }
    }
    assign(f, key, value);
  }
  return f;
}

function assign(f: Fields, key: string, value: string): void {
  if (key === 'user') f.user = value;
  else if (key === 'password') f.password = value;
  else if (key === 'host' || (key === 'hostaddr' && !f.host)) f.host = value.split(',')[0];
  else if (key === 'port') f.port = value.split(',')[0];
  else if (key === 'dbname') f.database = value;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s; // a literal `%` in a decoded password (TruffleHog's Raw)
  }
}

/** Where the role's server is, as a person reads it: `db.internal:5432`, `[::1]:5432`. */
export const hostPort = (host: string, port: number) => `${host.includes(':') ? `[${host}]` : host}:${port}`;

/**
 * One leaked credential in one form, whatever form it was found in: what the trigger keeps in the vault,
 * and what the credential id's fingerprint is taken of. The database is left out: the same password
 * written with another database name is the same leak.
 */
export function canonical(c: PgCredential): string {
  return `postgresql://${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}@${hostPort(c.host, c.port)}`;
}

/** A connection URL as applications read it (DATABASE_URL). */
export function connectionUrl(c: PgCredential): string {
  return `${canonical(c)}${c.database ? `/${encodeURIComponent(c.database)}` : ''}`;
}
