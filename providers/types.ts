import type { ListedCredential } from '../domain/audit';
import type { ProviderKind } from '../domain/credential';
import type { IncidentStatus, Waiting } from '../domain/incident';
import type { DeployerSpec, Policy, ResolvedConsumer, StoreSpec } from '../domain/schemas';
import type {
  ActionResult,
  BlastRadius,
  DeployHandle,
  DeployResult,
  Identification,
  NewCredential,
  StoreWrite,
  Verification,
} from '../domain/results';

// One small interface per role. A provider is a folder whose module (providers/module.ts) builds one or
// more of them; providers/index.ts lists the modules, and the registry is built from that list
// (providers/catalog.ts). Activities only ever see these interfaces.

export interface IncidentContext {
  incidentId: string;
  /** ISO time the incident started; lets a retried step recognise what an earlier attempt did. */
  startedAt: string;
  policy: Policy;
}

/**
 * The leaked credential as providers receive it: its public id (an AWS access key id) or, for
 * tokens that have none, their fingerprint; and where the trigger kept the raw secret, when the
 * provider needs it (a GitHub token is identified and revoked by its value).
 */
export interface LeakedCredential {
  id: string;
  secretHandle?: string;
}

/**
 * A step that a person must do (a GitHub PAT cannot be created by API; a key Leakstop cannot call is
 * revoked at its issuer). From regenerate, the person registers the replacement; from contain or
 * revoke, the person confirms it is done.
 */
export interface ManualStep {
  manual: true;
  /** What to do, shown to people; never contains a secret. */
  instructions: string;
}

export interface CredentialProvider {
  readonly kind: ProviderKind;
  identify(cred: LeakedCredential): Promise<Identification>;
  describe(cred: LeakedCredential, owner: string): Promise<BlastRadius>;
  /** `known`: what identification found a moment ago (the first response), so a provider may skip looking again. */
  contain(cred: LeakedCredential, owner: string, ctx: IncidentContext, known?: Identification): Promise<ActionResult | ManualStep>;
  regenerate(cred: LeakedCredential, owner: string, ctx: IncidentContext): Promise<NewCredential | ManualStep>;
  verify(cred: LeakedCredential, owner: string, fresh: NewCredential): Promise<Verification>;
  revoke(cred: LeakedCredential, owner: string, ctx: IncidentContext): Promise<ActionResult | ManualStep>;
  /** When the incident ends: delete what the provider kept about the leaked credential (its leaked secret is deleted for it). */
  forget?(cred: LeakedCredential): Promise<void>;
  /**
   * Every credential of this kind the provider can see, with age and last use, for the hygiene audit;
   * with an owner, only that owner's (a scheduled rotation looks for the one in use).
   */
  list?(owner?: string): Promise<ListedCredential[]>;
}

/**
 * Secret material as the vault keeps it and stores receive it: field name → value. Which fields are
 * secrets and which are facts is each provider module's to say (CredentialKind.materialFields).
 */
export type SecretMaterial = Record<string, string | undefined>;

export interface SecretStore {
  readonly kind: StoreSpec['kind'];
  /** Idempotent per incident and consumer: a retried write never creates a second version. */
  write(consumer: ResolvedConsumer, value: string, ctx: IncidentContext): Promise<StoreWrite>;
  /** The value now current under the consumer's key; for verification and tests. */
  read(consumer: ResolvedConsumer): Promise<string | undefined>;
  /**
   * Every entry of the store under `prefix` (all of it without one), each value handed to `visit` and
   * nowhere else: discovery compares it in the process and keeps only where it was found. Stops early
   * once `signal` aborts.
   */
  scan?(spec: StoreSpec, prefix: string | undefined, visit: (key: string, value: string) => void, signal: AbortSignal): Promise<void>;
  /**
   * For a store that never shows values (GitHub Actions secrets): the names of its entries under
   * `prefix`, so discovery can report unverified candidates by name. Stops early once `signal` aborts.
   */
  names?(spec: StoreSpec, prefix: string | undefined, signal: AbortSignal): Promise<string[]>;
  /**
   * What runs from the entry under `key` and must be restarted to read a new value there (the
   * function, the services, the Deployments), each with the deployer spec that restarts it; and what
   * reads it but is left to a person, with why. Discovery asks, for the places it found; stops early
   * once `signal` aborts. Only names travel: no value is read here.
   */
  runners?(
    spec: StoreSpec,
    key: string,
    signal: AbortSignal,
  ): Promise<{
    /** `name`: unique within the store, in the characters inventory names use (`cluster.service`, `function.alias`, a Deployment); `deployer`: a full spec of a deployer kind, as its module's schema parses it. */
    runners: { name: string; deployer: DeployerSpec }[];
    /** What reads the entry but is not restarted by Leakstop, and why (a person restarts it); names only. */
    leftAlone: string[];
  }>;
}

export interface Deployer {
  readonly kind: DeployerSpec['kind'];
  redeploy(consumer: ResolvedConsumer, ctx: IncidentContext): Promise<DeployHandle>;
  /** Waits until the deploy ends or its timeout passes; calls heartbeat while it waits. */
  waitFor(handle: DeployHandle, spec: DeployerSpec, heartbeat: () => void): Promise<DeployResult>;
}

export interface IncidentEvent {
  incidentId: string;
  phase: string;
  kind: 'started' | 'progress' | 'done' | 'failed' | 'waiting' | 'finished';
  message: string;
  /** The incident as it stands, for notifiers that keep a status message up to date. */
  snapshot: IncidentSnapshot;
}

export interface IncidentSnapshot {
  status: IncidentStatus;
  phase: string;
  provider: string;
  /** Redacted. */
  credential: string;
  owner?: string;
  severity: string;
  /** What waits for a person now; drives buttons. */
  waiting: Waiting[];
  postMortemUrl?: string;
  /** Where the first report came from (a source name), when it began, and how long containing took: for metrics. */
  source?: string;
  startedAt?: string;
  timeToContainMs?: number;
}

export interface Notifier {
  notify(event: IncidentEvent): Promise<void>;
}

export interface PostMortemSink {
  /** Opens (or, for the same incident, replaces) the report; returns where people read it. */
  open(incidentId: string, markdown: string): Promise<{ url: string }>;
}

/**
 * Holds a new credential's material between regenerate and the stores. Whatever it puts or gets, it
 * registers for redaction the secret fields only (never what a provider module declares a fact).
 */
export interface SecretVault {
  put(handle: string, material: SecretMaterial): Promise<void>;
  get(handle: string): Promise<SecretMaterial | undefined>;
  delete(handle: string): Promise<void>;
}

/** Errors a provider raises when retrying cannot help; the workflow escalates them to a person. */
export class PermanentError extends Error {
  constructor(
    message: string,
    readonly reason: 'denied' | 'not-found' | 'limit' | 'invalid' | 'failed',
  ) {
    super(message);
    this.name = 'PermanentError';
  }
}
