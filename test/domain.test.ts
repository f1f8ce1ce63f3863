import { readFileSync } from 'node:fs';
import path from 'node:path';
import { redactId, redactText } from '../domain/credential';
import { fingerprint, incidentIdFor } from '../domain/fingerprint';
import { planFor } from '../domain/inventory';
import { parseInventory } from '../providers';

test('the example inventory in config/ parses and plans as its comments say', () => {
  const inv = parseInventory(readFileSync(path.join(__dirname, '..', 'config', 'leakstop.example.yaml'), 'utf8'), 'example');
  const scanner = { source: 'github-secret-scanning', trust: 'authoritative', sealed: true } as const;
  const plan = planFor(inv, 'aws-iam', 'billing-bot', 'AKIAIOSFODNN7EXAMPLE', scanner);
  expect(plan.consumers.map((c) => [c.name, c.storeSpec.kind, c.field, c.deployerSpec?.kind])).toEqual([
    ['billing-api', 'aws-secrets-manager', 'json', 'http-hook'],
    ['billing-cron', 'aws-ssm', 'secretAccessKey', undefined],
  ]);
  // inventory policy < the credential's policy; a report sets none
  expect(plan.policy).toMatchObject({ contain: 'immediate', approvals: ['revoke'], keyLimit: 'escalate' });
  expect(plan.trust.held).toBeUndefined();
  expect(planFor(inv, 'aws-iam', 'someone-else', 'AKIAIOSFODNN7EXAMPLE', scanner).consumers).toEqual([]);
  // The example trusts no source beyond the authoritative ones: a Slack report's containment waits.
  const slack = planFor(inv, 'aws-iam', 'billing-bot', 'AKIAIOSFODNN7EXAMPLE', { source: 'slack', trust: 'reported', sealed: true });
  expect(slack.policy.approvals).toEqual(['revoke', 'contain']);
  expect(slack.trust).toMatchObject({ held: 'contain', rule: expect.stringContaining('contain waits for an approver') });
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
