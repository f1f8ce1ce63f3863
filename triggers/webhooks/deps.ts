import type { Trust } from '../../domain/trust';
import type { DeliveryLog } from './delivery-log';
import type { GitGuardianIncident } from './schemas';

export interface Started {
  incidentId: string;
  joined: boolean;
}

/** A secret scanning alert as the GitHub REST API returns it: the only place the secret itself is. */
export interface GitHubAlert {
  secretType: string;
  secret: string;
  state: string;
  htmlUrl: string;
  publiclyLeaked?: boolean;
  locations: { path?: string; startLine?: number; commitSha?: string; blobUrl?: string }[];
}

export interface WebhookDeps {
  /** IncidentControl.report: validates, seals the trust, then starts the incident or joins the running one. */
  report(input: unknown, trust: Trust): Promise<Started>;
  /** TruffleHog findings the scanner did not verify live: ignored unless the inventory says report (trust.unverifiedFindings). */
  unverifiedFindings?: 'ignore' | 'report';
  github: {
    /** The current secret first, then the previous one while a rotation is under way. */
    secrets: string[];
    readAlert(repo: { owner: string; name: string }, alertNumber: number): Promise<GitHubAlert>;
  };
  gitguardian: {
    token: string;
    /** The credential id the inventory knows for this incident (e.g. by its hmsl_hash), else undefined. */
    identify?(incident: GitGuardianIncident): string | undefined;
  };
  generic: { secret: string };
  awsHealth: { sharedSecret: string; headerName?: string };
  /**
   * Opens a durable "needs identification" record for a leak whose credential nobody could name yet,
   * which a person completes (`leakstop incident identify`). Without it such leaks are only logged.
   */
  awaitIdentification?(reference: string, pending: { exposure: unknown; requestedBy: string; reason: string }): Promise<{ pendingId: string }>;
  /** Stores a raw leaked secret in the vault, under the credential id its module derived, and returns its handle. */
  keepSecret(provider: string, secret: string, credentialId: string): Promise<string>;
  log?(line: string): void;
  /** Deliveries already handled, so a replay is not acted on; without it, one in memory (delivery-log.ts). */
  deliveries?: DeliveryLog;
  /** Milliseconds since the epoch, for signature timestamps. */
  now?(): number;
}
