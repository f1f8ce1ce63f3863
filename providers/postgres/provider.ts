import { registerSecret } from '../../domain/redact';
import type { ActionResult, BlastRadius, Identification, NewCredential, Verification } from '../../domain/results';
import { PermanentError, type CredentialProvider, type IncidentContext, type LeakedCredential, type SecretMaterial, type SecretVault } from '../types';
import type { PostgresBlastRadiusFacts } from './blast-radius';
import { asAdmin, ident, literal, privilegesOf, probe, reachOf, roleAttributes, serverNow, sessionsOf, terminateSessions } from './cluster';
import { clusterFor, rulesFor, type Cluster, type PostgresConfig, type RoleRules } from './config';
import { hostPort, parseConnectionString, type PgCredential } from './connection-string';
import { credentialIdOf } from './kind';
import { newPassword, scramVerifier } from './scram';

const MAX_SESSIONS = 50;

interface Leaked {
  c: PgCredential;
  cluster: Cluster;
  rules: RoleRules;
  /** `role@cluster`: how the inventory names the owner. */
  owner: string;
}

/**
 * PostgreSQL roles whose password leaked. Contain: NOLOGIN (reversible) or the password replaced by one
 * nobody holds, and the role's sessions terminated. Regenerate: a new password for the same role, or for
 * its partner role (two-role swap, zero downtime). The new password is put in the vault before the
 * server is changed, so every retry, in any worker, sets that same one: one new password per incident.
 */
export class PostgresProvider implements CredentialProvider {
  readonly kind = 'postgres';

  constructor(
    private readonly config: PostgresConfig | undefined,
    private readonly vault: SecretVault,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  async identify(cred: LeakedCredential): Promise<Identification> {
    const { c, cluster, owner } = await this.leaked(cred);
    // The sessions first: the probe is a session of the role itself while it runs.
    const seen = await this.admin(cluster, `look up role ${c.user}`, async (db) => ({ attributes: await roleAttributes(db, c.user), sessions: await sessionsOf(db, c.user) }));
    const live = await probe(cluster, c.user, c.password);
    if (!seen.attributes) throw new PermanentError(`role ${c.user} does not exist on PostgreSQL cluster ${cluster.name} (already dropped?)`, 'not-found');
    // Containment may end these sessions before the blast radius is mapped: who was connected is kept now.
    if (seen.sessions.length) await this.vault.put(factsHandle(cred), { pgSessionsSeen: JSON.stringify(seen.sessions.slice(0, MAX_SESSIONS)), pgSessionsSeenAt: new Date().toISOString() });
    const latest = seen.sessions.map((s) => s.since).filter((s): s is string => !!s).sort().at(-1);
    return {
      owner,
      account: cluster.name,
      status: live.live ? 'active' : 'inactive',
      lastUsed: latest
        ? { at: latest, service: `${seen.sessions.length} live session(s)` }
        : { unknown: true, reason: 'PostgreSQL does not record logins (see the server log with log_connections); the role has no live session now' },
    };
  }

  async describe(cred: LeakedCredential, owner: string): Promise<BlastRadius> {
    const { c, cluster } = await this.leaked(cred);
    const facts = await this.admin(cluster, `map what ${c.user} reaches`, async (db): Promise<PostgresBlastRadiusFacts> => {
      const attributes = await roleAttributes(db, c.user);
      if (!attributes) throw new PermanentError(`role ${c.user} does not exist on PostgreSQL cluster ${cluster.name}`, 'not-found');
      const reach = await reachOf(db, c.user);
      const sessions = await sessionsOf(db, c.user);
      const latest = sessions.map((s) => s.since).filter((s): s is string => !!s).sort().at(-1);
      const kept = await this.vault.get(factsHandle(cred));
      return {
        cluster: cluster.name,
        role: c.user,
        attributes,
        databases: reach.databases,
        schemas: reach.schemas,
        tables: reach.tables,
        sessions: { items: sessions.slice(0, MAX_SESSIONS), more: Math.max(0, sessions.length - MAX_SESSIONS) },
        sessionsAtIdentification: kept?.pgSessionsSeen ? { at: kept.pgSessionsSeenAt ?? '?', items: JSON.parse(kept.pgSessionsSeen) } : undefined,
        recentActivity: latest ? { at: latest } : { unknown: true, reason: 'PostgreSQL does not record logins; no live session now' },
      };
    });
    return { owner, facts: { ...facts } };
  }

  async contain(cred: LeakedCredential, _owner: string, ctx: IncidentContext): Promise<ActionResult> {
    const { c, cluster, rules } = await this.leaked(cred);
    const rotated = await this.rotation(ctx);
    return this.admin(cluster, `contain ${c.user}`, async (db) => {
      const attributes = await roleAttributes(db, c.user);
      if (!attributes) return { summary: `role ${c.user} no longer exists on ${cluster.name}`, changed: false };
      if (rotated?.pgAppliedAt && rotated.pgUser === c.user) {
        // Rotated first (contain: after-rotation): the leaked password is gone; what may still use it are the sessions opened before.
        const ended = await terminateSessions(db, c.user, rotated.pgAppliedAt);
        return { summary: `the leaked password of ${c.user} was replaced at ${rotated.pgAppliedAt}; terminated ${ended} session(s) opened before that`, changed: ended > 0 };
      }
      const said: string[] = [];
      let changed = false;
      let at: string | undefined; // when the leaked password stopped working: the time to contain ends there
      // A swap moved the consumers to the partner already: the leaked role itself is locked.
      if (rules.contain === 'nologin' || rotated?.pgAppliedAt) {
        if (attributes.login) {
          await db.query(`ALTER ROLE ${ident(c.user)} NOLOGIN`);
          at = new Date().toISOString();
          said.push(`set role ${c.user} NOLOGIN on ${cluster.name} (undo: ALTER ROLE ${ident(c.user)} LOGIN)`);
          changed = true;
        } else said.push(`role ${c.user} was already NOLOGIN`);
      } else if ((await probe(cluster, c.user, c.password)).live) {
        await db.query(`ALTER ROLE ${ident(c.user)} PASSWORD ${literal(scramVerifier(newPassword()))}`);
        at = new Date().toISOString();
        said.push(`replaced the leaked password of ${c.user} on ${cluster.name} with one nobody holds (regenerate sets the new one)`);
        changed = true;
      } else said.push(`the leaked password of ${c.user} was already refused`);
      const ended = await terminateSessions(db, c.user);
      said.push(`terminated ${ended} session(s) of ${c.user}`);
      return { summary: said.join('; '), changed: changed || ended > 0, ...(at ? { at } : {}) };
    });
  }

  async regenerate(cred: LeakedCredential, _owner: string, ctx: IncidentContext): Promise<NewCredential> {
    const { c, cluster, rules } = await this.leaked(cred);
    const swap = rules.regenerate === 'swap';
    if (swap && !rules.partner) throw new PermanentError(`role ${c.user} is set to regenerate by swap, but no partner role is configured (swapWith)`, 'invalid');
    const role = swap ? rules.partner! : c.user;
    const handle = newHandle(ctx);
    let made = await this.vault.get(handle);
    if (!made?.pgPassword) {
      if (swap) {
        const busy = await this.admin(cluster, `look at ${role}`, (db) => sessionsOf(db, role));
        if (busy.length) {
          throw new PermanentError(`the partner role ${role} has ${busy.length} live session(s): something still uses it, so swapping to it would cut that off. Move it off ${role} (or end the sessions) and retry`, 'limit');
        }
      }
      // Kept before the server changes: a retry, in this worker or another after a crash, sets this same password.
      made = { pgUser: role, pgPassword: newPassword(), pgHost: c.host, pgPort: String(c.port), pgDatabase: rules.database ?? cluster.database };
      await this.vault.put(handle, made);
    }
    const fresh: NewCredential = { id: credentialIdOf({ user: role, password: made.pgPassword!, host: c.host, port: c.port }), handle, removed: [] };
    if (made.pgAppliedAt) return fresh;

    const appliedAt = await this.admin(cluster, `set the new password of ${role}`, async (db) => {
      const verifier = literal(scramVerifier(made.pgPassword!));
      if (!swap) {
        // LOGIN too: containment may have set the role NOLOGIN; the leaked password is replaced here.
        await db.query(`ALTER ROLE ${ident(role)} WITH LOGIN PASSWORD ${verifier}`);
      } else {
        await this.preparePartner(db, c.user, role, verifier);
      }
      return serverNow(db);
    });
    await this.vault.put(handle, { ...made, pgAppliedAt: appliedAt });
    return fresh;
  }

  async verify(cred: LeakedCredential, _owner: string, fresh: NewCredential): Promise<Verification> {
    const { c, cluster } = await this.leaked(cred);
    const m = await this.vault.get(fresh.handle);
    if (!m?.pgUser || !m.pgPassword) throw new PermanentError(`the new credential of ${c.user} is no longer in the vault`, 'not-found');
    const [now, old] = await Promise.all([probe(cluster, m.pgUser, m.pgPassword, m.pgDatabase), probe(cluster, c.user, c.password)]);
    if (!now.live) throw new PermanentError(`PostgreSQL cluster ${cluster.name} refuses the new password of ${m.pgUser} (${now.because})`, 'failed');
    if (m.pgUser !== c.user) {
      const missing = await this.admin(cluster, `compare ${c.user} and ${m.pgUser}`, async (db) => {
        const had = await privilegesOf(db, c.user);
        const has = await privilegesOf(db, m.pgUser!);
        return [...had].filter((p) => !has.has(p));
      });
      if (missing.length) {
        throw new PermanentError(
          `${m.pgUser} cannot do everything ${c.user} could: ${missing.slice(0, 10).join('; ')}${missing.length > 10 ? `; and ${missing.length - 10} more` : ''}. Grant them (best to a group role both are members of) and retry`,
          'invalid',
        );
      }
    }
    const where = `${m.pgUser}@${cluster.name}`;
    return {
      newWorks: true,
      newIdentity: where,
      oldDisabled: !old.live,
      detail: `the new password of ${m.pgUser} works on ${cluster.name}${m.pgUser !== c.user ? `, with every privilege ${c.user} had` : ''}; the leaked password of ${c.user} is ${old.live ? 'still accepted' : `refused (${old.because})`}`,
    };
  }

  async revoke(cred: LeakedCredential, _owner: string, ctx: IncidentContext): Promise<ActionResult> {
    const { c, cluster } = await this.leaked(cred);
    const rotated = await this.rotation(ctx);
    const result = await this.admin(cluster, `revoke the leaked password of ${c.user}`, async (db): Promise<ActionResult> => {
      const attributes = await roleAttributes(db, c.user);
      if (!attributes) return { summary: `role ${c.user} no longer exists on ${cluster.name}`, changed: false };
      if (rotated?.pgAppliedAt && rotated.pgUser === c.user) {
        // Same role, new password: the leaked one is gone for good; sessions opened with it end too.
        const ended = await terminateSessions(db, c.user, rotated.pgAppliedAt);
        return { summary: `the leaked password of ${c.user} was replaced at ${rotated.pgAppliedAt}${ended ? `; terminated ${ended} session(s) opened before` : ''}`, changed: ended > 0 };
      }
      // The role the leak names is retired: locked and its password cleared (a swap's next rotation gives it a new one).
      const marker = await this.vault.get(revokedHandle(cred));
      // A retry finds the marker: the role was locked then (a person's LOGIN since is theirs to answer for; the probe below checks the password).
      if (!marker || attributes.login) {
        await db.query(`ALTER ROLE ${ident(c.user)} NOLOGIN PASSWORD NULL`);
        await this.vault.put(revokedHandle(cred), { pgRevokedAt: await serverNow(db) });
      }
      const ended = await terminateSessions(db, c.user);
      return { summary: `locked role ${c.user} on ${cluster.name} (NOLOGIN) and cleared its password${ended ? `; terminated ${ended} session(s)` : ''}`, changed: !marker || attributes.login || ended > 0 };
    });
    const after = await probe(cluster, c.user, c.password);
    if (after.live) throw new PermanentError(`PostgreSQL cluster ${cluster.name} still accepts the leaked password of ${c.user}`, 'failed');
    return result;
  }

  /** The incident is over: what was kept beside the leaked credential (sessions seen, the revocation marker) goes too. */
  async forget(cred: LeakedCredential): Promise<void> {
    if (!cred.secretHandle) return;
    await this.vault.delete(revokedHandle(cred));
    await this.vault.delete(factsHandle(cred));
  }

  /** The partner of a two-role swap: made like the leaked role (its memberships, its connection limit) if it does not exist, then given the new password. */
  private async preparePartner(db: import('pg').Client, leaked: string, partner: string, verifier: string): Promise<void> {
    const model = await roleAttributes(db, leaked);
    if (!model) throw new PermanentError(`role ${leaked} no longer exists: nothing to copy to ${partner}`, 'not-found');
    if (model.superuser) throw new PermanentError(`role ${leaked} is a superuser: Leakstop does not make superusers; swap to a partner a person prepared`, 'denied');
    let created = false;
    if (!(await roleAttributes(db, partner))) {
      try {
        await db.query(`CREATE ROLE ${ident(partner)} LOGIN CONNECTION LIMIT ${Number(model.connectionLimit)} PASSWORD ${verifier}`);
        created = true;
      } catch (err) {
        if ((err as { code?: string }).code !== '42710') throw err; // made meanwhile by another attempt
      }
    }
    if (!created) await db.query(`ALTER ROLE ${ident(partner)} WITH LOGIN PASSWORD ${verifier}`);
    const has = new Set((await roleAttributes(db, partner))?.memberOf ?? []);
    for (const group of model.memberOf) if (!has.has(group)) await db.query(`GRANT ${ident(group)} TO ${ident(partner)}`);
  }

  /** What regenerate made for this incident, if anything. */
  private rotation(ctx: IncidentContext): Promise<SecretMaterial | undefined> {
    return this.vault.get(newHandle(ctx));
  }

  private admin<T>(cluster: Cluster, what: string, f: (db: import('pg').Client) => Promise<T>): Promise<T> {
    return asAdmin(cluster, this.env, what, f);
  }

  /** The leaked credential from the vault, checked against its id, and the cluster the inventory says it belongs to. */
  private async leaked(cred: LeakedCredential): Promise<Leaked> {
    if (!cred.secretHandle) throw new PermanentError('the leaked connection string was not handed over (no secretHandle)', 'not-found');
    const secret = (await this.vault.get(cred.secretHandle))?.secret;
    if (!secret) throw new PermanentError('the leaked connection string is no longer in the vault', 'not-found');
    const parsed = parseConnectionString(secret);
    if (!parsed.ok) throw new PermanentError(`the leaked secret is not a PostgreSQL connection string: ${parsed.problem}`, 'invalid');
    const c = parsed.credential;
    // The vault entry is found by the id; the id must also be the one this credential derives.
    if (credentialIdOf(c) !== cred.id) throw new PermanentError('the vault entry for this incident holds another credential', 'invalid');
    registerSecret(c.password); // a password can show up alone (in a server's error); redact it everywhere
    const cluster = clusterFor(this.config, c.host, c.port);
    if (!cluster) {
      throw new PermanentError(
        `no PostgreSQL cluster in the inventory is reached as ${hostPort(c.host, c.port)}: add it under providers.postgres.clusters (host, port or aliases) with its administrator, then retry`,
        'not-found',
      );
    }
    return { c, cluster, rules: rulesFor(cluster, c.user), owner: `${c.user}@${cluster.name}` };
  }
}

/** Where regenerate keeps the new credential: one per incident, whatever the number of attempts. */
const newHandle = (ctx: IncidentContext) => `${ctx.incidentId}/postgres/new-password`;
const revokedHandle = (cred: LeakedCredential) => `${cred.secretHandle}:pg-revoked`;
const factsHandle = (cred: LeakedCredential) => `${cred.secretHandle}:pg-facts`;
