import { markdownText } from '../../domain/escape';
import { isUnknown, type Known } from '../../domain/results';

// What describe finds about a leaked role, and how the post-mortem shows it. Role, database, schema and
// table names are chosen by whoever runs the database, and client addresses and application names by
// whoever connects: every value is escaped for Markdown.

export interface PgRoleAttributes {
  superuser: boolean;
  createRole: boolean;
  createDb: boolean;
  login: boolean;
  replication: boolean;
  bypassRls: boolean;
  /** -1: no limit. */
  connectionLimit: number;
  validUntil: string | null;
  memberOf: string[];
}

export interface PgSession {
  pid: number;
  database: string | null;
  client: string | null;
  application: string | null;
  state: string | null;
  since: string | null;
}

// A type, not an interface: it is a BlastRadius's `facts` (a plain record) as it is.
export type PostgresBlastRadiusFacts = {
  cluster: string;
  role: string;
  attributes: PgRoleAttributes;
  /** Databases it may connect to. */
  databases: Known<string[]>;
  /** In the cluster's database: schemas it may use (`USAGE`, `CREATE`). */
  schemas: Known<{ schema: string; privileges: string[] }[]>;
  /** In the cluster's database: tables and their privileges (at most 100; `more` counts the rest). */
  tables: Known<{ items: { table: string; privileges: string[] }[]; more: number }>;
  /** Live sessions (pg_stat_activity), at most 50; `more` counts the rest. */
  sessions: Known<{ items: PgSession[]; more: number }>;
  /** The sessions seen when the credential was identified, before containment ended them. */
  sessionsAtIdentification?: { at: string; items: PgSession[] };
  recentActivity: Known<{ at?: string }>;
};

const sessionText = (x: PgSession) =>
  `pid ${x.pid} from ${markdownText(x.client ?? 'local socket')} to ${markdownText(x.database ?? '?')}${x.application ? ` (${markdownText(x.application)})` : ''} since ${markdownText(x.since ?? '?')}`;

const list = (xs: string[]) => (xs.length ? xs.map(markdownText).join(', ') : 'none');

export function renderPostgresBlastRadius(raw: Record<string, unknown>): string[] {
  const f = raw as Partial<PostgresBlastRadiusFacts>;
  const known = <T>(v: Known<T> | undefined, show: (x: T) => string) => (v === undefined ? 'not recorded' : isUnknown(v) ? `unknown (${markdownText(v.reason)})` : show(v));
  const a = f.attributes;
  const flags = a
    ? [a.superuser && '**superuser**', a.createRole && 'createrole', a.createDb && 'createdb', a.replication && 'replication', a.bypassRls && 'bypassrls', a.login ? 'login' : 'nologin'].filter(Boolean).join(', ')
    : 'not recorded';
  return [
    `- Role: ${markdownText(String(f.role ?? '?'))} on cluster ${markdownText(String(f.cluster ?? '?'))} (${flags}${a ? `; connection limit ${a.connectionLimit < 0 ? 'none' : a.connectionLimit}; valid until ${markdownText(a.validUntil ?? 'forever')}` : ''})`,
    `- Member of: ${a ? list(a.memberOf) : 'not recorded'}`,
    `- Databases it can connect to: ${known(f.databases, list)}`,
    `- Schemas: ${known(f.schemas, (s) => (s.length ? s.map((x) => `${markdownText(x.schema)} (${x.privileges.join(', ')})`).join(', ') : 'none'))}`,
    `- Tables: ${known(f.tables, (t) => (t.items.length ? `${t.items.map((x) => `${markdownText(x.table)} (${x.privileges.join(', ')})`).join(', ')}${t.more ? `, and ${t.more} more` : ''}` : 'none'))}`,
    ...(f.sessionsAtIdentification ? [`- Sessions when identified (${markdownText(f.sessionsAtIdentification.at)}): ${f.sessionsAtIdentification.items.map(sessionText).join('; ')}`] : []),
    `- Live sessions when mapped: ${known(f.sessions, (s) => (s.items.length ? `${s.items.map(sessionText).join('; ')}${s.more ? `; and ${s.more} more` : ''}` : 'none'))}`,
  ];
}
