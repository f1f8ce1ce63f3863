import { z } from 'zod';
import { registerCredentialDisplay } from '../domain/credential';
import { incidentInputSchema } from '../domain/incident-input';
import { ConfigError, parseInventoryWith } from '../domain/inventory';
import { registerLeakPatterns } from '../domain/secret-patterns';
import { inventorySchema, type Inventory } from '../domain/schemas';
import type { CredentialKind, Finding, ModuleContext, ProviderModule, Recognition } from './module';
import { Registry } from './registry';
import type { SecretMaterial } from './types';

/**
 * Everything that lists providers, derived from the one list of modules (providers/index.ts): the
 * credential kinds and their id checks, the inventory's store and deployer unions, the registry, the
 * redaction set and what triggers recognise. Building it registers each kind's patterns for redaction
 * and its id display, so a process that loads the catalog redacts every kind it knows.
 */
export class Catalog {
  readonly kinds: readonly [string, ...string[]];
  readonly IncidentInputSchema: ReturnType<typeof incidentInputSchema>;
  readonly InventorySchema: z.ZodType<Inventory>;
  private readonly byKind = new Map<string, CredentialKind>();

  constructor(readonly modules: readonly ProviderModule[]) {
    for (const m of modules) {
      const c = m.credential;
      if (!c) continue;
      if (this.byKind.has(c.kind)) throw new Error(`two provider modules claim the credential kind "${c.kind}"`);
      this.byKind.set(c.kind, c);
      registerLeakPatterns(c.patterns);
      registerCredentialDisplay(c.kind, { idPrefix: c.idPrefix, idsInText: c.idsInText });
    }
    const kinds = [...this.byKind.keys()];
    if (kinds.length === 0) throw new Error('no provider module names a credential kind');
    this.kinds = kinds as [string, ...string[]];
    this.IncidentInputSchema = incidentInputSchema({ kinds: this.kinds, checkId: (kind, id) => this.byKind.get(kind)?.checkId(id) });
    const fields = ['json', ...new Set([...this.byKind.values()].flatMap((c) => c.fields))] as [string, ...string[]];
    this.InventorySchema = inventorySchema({
      credentialKinds: this.kinds,
      stores: modules.flatMap((m) => m.stores ?? []).map((s) => s.spec),
      deployers: modules.flatMap((m) => m.deployers ?? []).map((d) => d.spec),
      fields,
      providers: Object.fromEntries(modules.filter((m) => m.config).map((m) => [m.name, m.config!])),
    });
  }

  has(kind: string): boolean {
    return this.byKind.has(kind);
  }

  credential(kind: string): CredentialKind {
    const found = this.byKind.get(kind);
    if (!found) throw new ConfigError(`no provider module for credential kind "${kind}" (known: ${this.kinds.join(', ')})`);
    return found;
  }

  /**
   * Whether the kind's provider can act on a credential by `id` (the id incidents use): a listing may name
   * credentials otherwise (a GitHub fine-grained token by its grant id), which no provider call takes.
   */
  actsOn(kind: string, id: string): boolean {
    return this.credential(kind).checkId(id) === undefined;
  }

  /** Parses an inventory file's text; every problem names its place. */
  parseInventory(text: string, source = 'inventory'): Inventory {
    return parseInventoryWith(this.InventorySchema, text, source);
  }

  /** What a consumer's store receives for `field`, rendered by the credential's own module. */
  render(kind: string, material: SecretMaterial, field: string): string | undefined {
    return this.credential(kind).render(material, field);
  }

  /** Whether a vault field is a fact (never registered for redaction): any module that declares it so. */
  isFact(field: string): boolean {
    return [...this.byKind.values()].some((c) => c.materialFields[field] === 'fact');
  }

  /** The kind a scanner's type name belongs to (a GitHub secret type, a TruffleHog detector name or number, a GitGuardian detector). */
  forScanner(scanner: Exclude<Finding['scanner'], 'pasted'>, type: string | number): CredentialKind | undefined {
    const key = scanner === 'github-secret-scanning' ? 'github' : scanner;
    return [...this.byKind.values()].find((c) => (c.scanners[key] as readonly (string | number)[] | undefined)?.includes(type));
  }

  /** The kind that takes verified findings no module names (CredentialKind.catchAll), if one does. */
  catchAll(): CredentialKind | undefined {
    return [...this.byKind.values()].find((c) => c.catchAll);
  }

  /** A finding, recognised by the module its type names (or, pasted, by the kind a person chose). */
  recognise(finding: Finding & { kind?: string }): { kind: CredentialKind; recognition: Recognition } | undefined {
    const kind = finding.scanner === 'pasted' ? (finding.kind ? this.byKind.get(finding.kind) : undefined) : finding.type !== undefined ? this.forScanner(finding.scanner, finding.type) : undefined;
    return kind && { kind, recognition: kind.recognise(finding) };
  }

  /** The registry of provider instances, each module built from its configuration. */
  registry(ctx: ModuleContext): Registry {
    const registry = new Registry();
    for (const m of this.modules) {
      const built = m.create({ ...ctx, config: ctx.inventory?.providers?.[m.name] });
      if (built.credential) registry.addCredentialProvider(built.credential);
      for (const s of built.stores ?? []) registry.addStore(s);
      for (const d of built.deployers ?? []) registry.addDeployer(d);
    }
    return registry;
  }
}
