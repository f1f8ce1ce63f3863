import type { z } from 'zod';
import type { Inventory } from '../domain/schemas';
import type { LeakPattern } from '../domain/secret-patterns';
import type { CredentialProvider, Deployer, SecretMaterial, SecretStore, SecretVault } from './types';

// A provider module: one folder that owns everything about its kind. Adding a provider is that folder
// plus one line in providers/index.ts; everything that lists providers (the credential kinds, the
// inventory's store and deployer unions, the registry, the redaction set, what triggers recognise) is
// derived from that list (providers/catalog.ts).

/** What a trigger received, said neutrally; the modules decide whether it is theirs and what it names. */
export interface Finding {
  scanner: 'github-secret-scanning' | 'trufflehog' | 'gitguardian' | 'pasted';
  /** The scanner's name for the kind of secret: a GitHub secret type, a TruffleHog detector, a GitGuardian detector. */
  type?: string;
  /** The value the scanner found (a key id, a token); absent where a scanner sends only hashes. */
  raw?: string;
}

export type Recognition =
  /** Named: the incident's credential id, and the secret itself when the provider acts on it by value. */
  | { credentialId: string; secret?: string }
  /** A real leak of this kind whose credential cannot be named from what arrived (why, for people). */
  | { unidentified: string }
  /** Understood, and nothing to act on (why, for the sender). */
  | { ignore: string }
  /** Theirs, but the value is not what this kind expects: refused by field (what is wrong, for the sender). */
  | { invalid: string };

export interface CredentialKind {
  /** The provider id in inputs, inventories and search attributes, e.g. `aws-iam`. */
  kind: string;
  /** Incident ids read `leak-<idPrefix>-<fingerprint>`. */
  idPrefix: string;
  /** For people: "AWS access key", "Slack token". */
  label: string;
  /** What people type in a report form's credential field, as a hint. */
  reportHint: string;
  /** The problem with an id a person or trigger gives (said for people), or undefined. */
  checkId(id: string): string | undefined;
  /** How an id is shown to people. */
  display(id: string): string;
  /** Ids of this kind inside free text, shown as `display` shows them (AWS key ids in provider errors). */
  idsInText?: RegExp;
  /**
   * Names a setting holding this kind usually has (`AWS_SECRET_ACCESS_KEY`, `NPM_TOKEN`): where a store
   * never shows values (GitHub Actions secrets), discovery reports such names as unverified candidates.
   */
  secretNames?: RegExp;
  /** The shapes of this kind's secrets: redaction masks them, triggers recognise them. One source each. */
  patterns: Record<string, LeakPattern>;
  /** The names scanners give this kind. */
  scanners: { github?: readonly string[]; trufflehog?: readonly (string | number)[]; gitguardian?: readonly string[] };
  /** Whether a finding is this kind's, and what it names. Only called for findings whose type or shape matched. */
  recognise(finding: Finding): Recognition;
  /** Which fields of this kind's material are secrets (registered for redaction) and which are facts. */
  materialFields: Record<string, 'secret' | 'fact'>;
  /** The consumer fields this kind can write, besides `json` (the whole credential, environment-style). */
  fields: readonly string[];
  /** What a consumer's store receives for `field`; undefined when this kind has no such part. */
  render(material: SecretMaterial, field: string): string | undefined;
  /** The post-mortem's blast-radius lines for this kind's facts (provider-specific, escaped for Markdown). */
  renderBlastRadius(facts: Record<string, unknown>): string[];
  /**
   * Takes a finding that a scanner proved live but no module names (a TruffleHog detector nobody lists):
   * the guided runbook's kind, so a live credential is never ignored for want of a provider.
   */
  catchAll?: true;
}

/** An inventory entry kind a module contributes: its `kind` literal and its zod schema (the spec's options). */
export interface SpecKind {
  kind: string;
  spec: z.ZodType<{ kind: string }>;
}

/** What a module's factory receives: the vault, the environment, and settings a caller passes in code (tests). */
export interface ModuleContext {
  vault: SecretVault;
  env: NodeJS.ProcessEnv;
  /** Settings by name (`aws`, `github`, …), e.g. an emulator's endpoint; each module reads its own. */
  settings: Record<string, unknown>;
  /** The inventory in use; a module reads its own section (`providers.<name>`) through `config` below. */
  inventory?: Inventory;
  /** This module's section of the inventory (`providers.<module name>`), parsed by its `config` schema. */
  config?: unknown;
}

export interface Built {
  credential?: CredentialProvider;
  stores?: SecretStore[];
  deployers?: Deployer[];
}

export interface ProviderModule {
  /** The folder's name. */
  name: string;
  credential?: CredentialKind;
  stores?: readonly SpecKind[];
  deployers?: readonly SpecKind[];
  /**
   * The module's own inventory section, under `providers.<name>` (e.g. PostgreSQL clusters and how to
   * reach them as an administrator). Secrets are never inline: a section names where they come from.
   */
  config?: z.ZodType;
  /** Builds the module's providers from its configuration. */
  create(ctx: ModuleContext): Built;
}
