import { readFileSync } from 'node:fs';
import path from 'node:path';
import { redactId, redactText } from '../domain/credential';
import { fingerprint, incidentIdFor } from '../domain/fingerprint';
import { parseInventory, planFor } from '../domain/inventory';

test('the example inventory in config/ parses and plans as its comments say', () => {
  const inv = parseInventory(readFileSync(path.join(__dirname, '..', 'config', 'leakstop.example.yaml'), 'utf8'), 'example');
  const plan = planFor(inv, 'aws-iam', 'billing-bot', 'AKIAIOSFODNN7EXAMPLE', { contain: 'after-rotation' });
  expect(plan.consumers.map((c) => [c.name, c.storeSpec.kind, c.field, c.deployerSpec?.kind])).toEqual([
    ['billing-api', 'aws-secrets-manager', 'json', 'http-hook'],
    ['billing-cron', 'aws-ssm', 'secretAccessKey', undefined],
  ]);
  // inventory policy < credential policy < the report's overrides
  expect(plan.policy).toMatchObject({ contain: 'after-rotation', approvals: ['revoke'], keyLimit: 'escalate' });
  expect(planFor(inv, 'aws-iam', 'someone-else', 'AKIAIOSFODNN7EXAMPLE').consumers).toEqual([]);
});

test('credential ids are shown redacted, in ids and in free text', () => {
  expect(redactId('AKIAIOSFODNN7EXAMPLE')).toBe('AKIA…MPLE');
  expect(redactText('key AKIAIOSFODNN7EXAMPLE and ASIAIOSFODNN7EXAMPL2 done')).toBe('key AKIA…MPLE and ASIA…MPL2 done');
});

test('the incident id is stable per credential and distinct across credentials', () => {
  expect(incidentIdFor('aws-iam', 'AKIAIOSFODNN7EXAMPLE')).toBe(incidentIdFor('aws-iam', 'AKIAIOSFODNN7EXAMPLE'));
  expect(fingerprint('aws-iam', 'AKIAIOSFODNN7EXAMPLE')).not.toBe(fingerprint('aws-iam', 'AKIAIOSFODNN7EXAMPLF'));
  expect(incidentIdFor('aws-iam', 'AKIAIOSFODNN7EXAMPLE')).not.toContain('EXAMPLE');
});
