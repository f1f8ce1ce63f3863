import { secretId } from '../../domain/fingerprint';
import type { ActionResult, BlastRadius, Identification, NewCredential, Verification } from '../../domain/results';
import { PermanentError, type CredentialProvider, type IncidentContext, type LeakedCredential, type ManualStep, type SecretVault } from '../types';
import { guidedType, typeOfValue, type GuidedType } from './catalogue';
import { guidedCredentialId, typeOfId, type GuidedBlastRadiusFacts } from './kind';
import { probe, type ProbeAnswer } from './probe';
import type { GuidedConfig, GuidedCredential } from './settings';

/** The vault field a trigger keeps a leaked or replacement value under (triggers/keep-secret.ts). */
const SECRET_FIELD = 'secret';

/**
 * The guided runbook: every step that needs the issuer is a person's, with instructions for the type;
 * Leakstop keeps the incident durable, checks what it can (the inventory's probe), and does the rest
 * itself (the replacement into every consumer, redeploys, the post-mortem).
 */
export class GuidedProvider implements CredentialProvider {
  readonly kind = 'guided';

  constructor(
    private readonly config: GuidedConfig,
    private readonly vault: SecretVault,
  ) {}

  async identify(cred: LeakedCredential): Promise<Identification> {
    const { secret } = await this.leaked(cred);
    const entry = this.entryFor(secret);
    const answer = entry?.[1].probe ? await probe(entry[1].probe, secret) : undefined;
    return {
      owner: entry?.[0] ?? 'unknown',
      status: answer === 'refused' ? 'inactive' : 'active',
      lastUsed: { unknown: true, reason: `${this.type(cred).issuer} is not called by Leakstop: see its own usage or audit logs` },
    };
  }

  async describe(cred: LeakedCredential, owner: string): Promise<BlastRadius> {
    const { secret } = await this.leaked(cred);
    const t = this.type(cred);
    const entry = this.entryFor(secret);
    const p = entry?.[1].probe;
    const facts: GuidedBlastRadiusFacts = {
      credential: t.label,
      issuer: t.issuer,
      docs: t.docs,
      inventoryName: entry ? entry[0] : { unknown: true, reason: 'its fingerprint is not listed under providers.guided.credentials in the inventory' },
      probe: p ? { host: new URL(p.url).host, answer: await probe(p, secret) } : { unknown: true, reason: 'the inventory gives no probe for it' },
      recentActivity: { unknown: true, reason: `${t.issuer} is not called by Leakstop: check its usage and audit logs for use you do not recognise` },
    };
    return { owner, facts };
  }

  /** A person revokes it at the issuer; when a probe says the issuer already refuses it, there is nothing to do. */
  async contain(cred: LeakedCredential, _owner: string, ctx: IncidentContext): Promise<ActionResult | ManualStep> {
    const answer = await this.probeLeaked(cred);
    const t = this.type(cred);
    if (answer?.answer === 'refused') return { summary: `${answer.host} already refuses the leaked ${t.label}`, changed: false };
    const check = answer ? ` Leakstop then asks ${answer.host} whether it still works.` : '';
    return manual(`${t.contain} See ${t.docs}. Then confirm: leakstop incident done ${ctx.incidentId} --by NAME (or Done in the Slack thread).${check}`);
  }

  async regenerate(cred: LeakedCredential, _owner: string, ctx: IncidentContext): Promise<ManualStep> {
    const t = this.type(cred);
    return manual(
      `${t.create} See ${t.docs}. Then save the new value in a file only you can read and run: leakstop incident done ${ctx.incidentId} --credential-file FILE (or Done in the Slack thread, which asks for it). Leakstop checks it and writes it to every consumer.`,
    );
  }

  async verify(cred: LeakedCredential, owner: string, fresh: NewCredential): Promise<Verification> {
    const { secret: old } = await this.leaked(cred);
    const material = await this.vault.get(fresh.handle);
    const value = material?.[SECRET_FIELD];
    const t = this.type(cred);
    const type = typeOfId(cred.id)!;
    if (!value) throw new PermanentError(`the replacement ${fresh.id} is not in the vault`, 'not-found');
    if (value === old) throw new PermanentError(`the value registered as the replacement is the leaked ${t.label}`, 'invalid');
    if (t.patterns && typeOfValue(value) !== type) throw new PermanentError(`the replacement is not a ${t.label} (its shape does not match)`, 'invalid');
    // Kept beside the value (a fact, not a secret), so a consumer's `json` names the right variable.
    if (material.type !== type) await this.vault.put(fresh.handle, { ...material, type });
    const entry = owner === 'unknown' ? undefined : this.config.credentials[owner];
    const p = entry?.probe ?? this.entryFor(old)?.[1].probe;
    const newId = guidedCredentialId(type, value);
    if (!p) {
      return {
        newWorks: false,
        oldDisabled: false,
        detail: `not checked: the inventory gives no probe for this ${t.label}; the new value's fingerprint is ${secretId(value)} (list it under providers.guided.credentials)`,
      };
    }
    const host = new URL(p.url).host;
    if ((await probe(p, value)) !== 'valid') throw new PermanentError(`${host} refuses the replacement ${t.label}`, 'failed');
    const oldDisabled = (await probe(p, old)) === 'refused';
    return {
      newWorks: true,
      newIdentity: newId,
      oldDisabled,
      detail: `${host} accepts the new ${t.label} and ${oldDisabled ? 'refuses' : 'still accepts'} the leaked one; the new value's fingerprint is ${secretId(value)}`,
    };
  }

  /** Where containing already revoked it for good (a key that can only be deleted), there is nothing more. */
  async revoke(cred: LeakedCredential, _owner: string, ctx: IncidentContext): Promise<ActionResult | ManualStep> {
    const t = this.type(cred);
    if (!t.revoke) return { summary: `${t.issuer} keys of this kind can only be deleted, which containing did`, changed: false };
    return manual(`${t.revoke} See ${t.docs}. Then confirm: leakstop incident done ${ctx.incidentId} --by NAME (or Done in the Slack thread).`);
  }

  private type(cred: LeakedCredential): GuidedType {
    const type = typeOfId(cred.id);
    if (!type) throw new PermanentError(`"${cred.id.slice(0, 60)}" is not a guided credential id`, 'invalid');
    return guidedType(type)!;
  }

  private async leaked(cred: LeakedCredential): Promise<{ secret: string }> {
    if (!cred.secretHandle) throw new PermanentError('the leaked value was not handed over (no secretHandle)', 'not-found');
    const secret = (await this.vault.get(cred.secretHandle))?.[SECRET_FIELD];
    if (!secret) throw new PermanentError('the leaked value is no longer in the vault', 'not-found');
    return { secret };
  }

  private async probeLeaked(cred: LeakedCredential): Promise<{ host: string; answer: ProbeAnswer } | undefined> {
    const { secret } = await this.leaked(cred);
    const p = this.entryFor(secret)?.[1].probe;
    return p ? { host: new URL(p.url).host, answer: await probe(p, secret) } : undefined;
  }

  /** The inventory's entry whose listed fingerprints include this value's. */
  private entryFor(secret: string): [string, GuidedCredential] | undefined {
    const fp = secretId(secret);
    return Object.entries(this.config.credentials).find(([, c]) => c.secrets.includes(fp));
  }
}

const manual = (instructions: string): ManualStep => ({ manual: true, instructions });
