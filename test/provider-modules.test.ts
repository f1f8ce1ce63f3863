import { z } from 'zod';
import { redactText } from '../domain/credential';
import { incidentIdFor } from '../domain/fingerprint';
import { redact } from '../domain/redact';
import { catalog, MODULES } from '../providers';
import { Catalog } from '../providers/catalog';
import type { ProviderModule } from '../providers/module';
import type { CredentialProvider, SecretStore } from '../providers/types';
import { findSecret } from '../triggers/slack/secrets';

// The seam: a provider is one folder plus one line in providers/index.ts. Everything that lists providers
// (credential kinds, inventory unions, registry, redaction, scanner recognition) comes from the module list,
// so a module nobody else knows about is complete the moment it is listed.

const TOKEN = `ltest_${'a1B2c3D4e5'.repeat(2)}`;
const store: SecretStore = { kind: 'test-store', write: async () => ({ consumer: 'c', store: 'test-store', key: 'k', version: '1', changed: true }), read: async () => undefined };
const credential = { kind: 'test-token' } as unknown as CredentialProvider;

const testModule: ProviderModule = {
  name: 'test-token',
  credential: {
    kind: 'test-token',
    idPrefix: 'test',
    label: 'test token',
    reportHint: 'Test: the token itself.',
    checkId: (id) => (/^t:[0-9]{4}$/.test(id) ? undefined : 'must be t:<4 digits>'),
    display: (id) => id,
    idsInText: /\bt:[0-9]{4}\b/g,
    patterns: { 'test-token': { source: '(?<![A-Za-z0-9_])(ltest_)[A-Za-z0-9]{20}' } },
    scanners: { trufflehog: ['TestDetector'], github: ['test_secret_type'] },
    recognise: (f) => (f.raw ? { credentialId: 't:0001', secret: f.raw } : { unidentified: 'no value' }),
    materialFields: { secret: 'secret', owner: 'fact' },
    fields: ['testField'],
    render: (m, field) => (field === 'testField' ? m.secret : undefined),
    renderBlastRadius: () => ['- test facts'],
  },
  stores: [{ kind: 'test-store', spec: z.strictObject({ kind: z.literal('test-store'), shelf: z.string() }) }],
  create: () => ({ credential, stores: [store] }),
};

test('a module listed beside the others is a credential kind, a store kind, a registry entry, a secret format and a scanner name', () => {
  const c = new Catalog([...MODULES, testModule]);
  expect(c.kinds).toContain('test-token');
  expect(c.IncidentInputSchema.safeParse({ provider: 'test-token', credentialId: 't:0001', exposure: { source: 'cli' }, requestedBy: 'x' }).success).toBe(true);
  const bad = c.IncidentInputSchema.safeParse({ provider: 'test-token', credentialId: 'nope', exposure: { source: 'cli' }, requestedBy: 'x' });
  expect(bad.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['credentialId', 'must be t:<4 digits>']]);

  const inventory = c.parseInventory('stores: { s: { kind: test-store, shelf: top } }\ncredentials: [{ provider: test-token, credentialId: "t:0001", consumers: [{ name: c, store: s, key: k, field: testField }] }]');
  expect(inventory.stores.s).toEqual({ kind: 'test-store', shelf: 'top' });
  expect(() => c.parseInventory('stores: { s: { kind: test-store } }')).toThrow(/stores\.s\.shelf/);

  const registry = c.registry({ vault: {} as never, env: {}, settings: {} });
  expect(registry.credential('test-token')).toBe(credential);
  expect(registry.store('test-store')).toBe(store);

  expect(redact(`leaked ${TOKEN} here`)).toBe('leaked ltest_…[redacted] here');
  expect(findSecret(`here: ${TOKEN}`)).toBe('test-token');
  expect(c.isFact('owner')).toBe(true);
  expect(c.forScanner('trufflehog', 'TestDetector')?.kind).toBe('test-token');
  expect(c.recognise({ scanner: 'github-secret-scanning', type: 'test_secret_type', raw: TOKEN })?.recognition).toEqual({ credentialId: 't:0001', secret: TOKEN });
  expect(incidentIdFor('test-token', 't:0001')).toMatch(/^leak-test-[0-9a-f]{16}$/);
  expect(redactText('id t:0001 in an error')).toBe('id ***… in an error');
});

test('the real list: every kind has a unique incident-id prefix, scanner names and formats that no other kind claims', () => {
  const kinds = catalog.kinds.map((k) => catalog.credential(k));
  expect(new Set(kinds.map((k) => k.idPrefix)).size).toBe(kinds.length);
  for (const scanner of ['github', 'trufflehog', 'gitguardian'] as const) {
    const names = kinds.flatMap((k) => [...(k.scanners[scanner] ?? [])]);
    expect(new Set(names).size).toBe(names.length);
  }
  const formats = kinds.flatMap((k) => Object.keys(k.patterns));
  expect(new Set(formats).size).toBe(formats.length);
  expect(() => new Catalog([...MODULES, MODULES[0]!])).toThrow(/two provider modules claim the credential kind "aws-iam"/);
});
