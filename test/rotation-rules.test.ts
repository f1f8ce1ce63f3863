import type { IncidentState } from '../domain/incident';
import { rotatingEntries } from '../domain/inventory';
import { nextWindowStart, rotationKey, type RotationFacts } from '../domain/rotation';
import { renderRotationRecord } from '../domain/rotation-record';
import { parseInventory } from '../providers';

// The pure rules of scheduled rotation: which entries rotate and under which name, when the window
// opens, what the inventory refuses (by field), and the record's escaping.

const entries = (yaml: string) => rotatingEntries(parseInventory(yaml));

test('entries rotate by their own rotateEvery or the hygiene default, each under a name fit for a schedule id', () => {
  const yaml = `
hygiene: { rotateEvery: 90d }
credentials:
  - { provider: aws-iam, owner: svc-billing }
  - { provider: aws-iam, owner: "Svc.Payments@corp", rotateEvery: 12h }
  - { provider: aws-iam, owner: svc-api, name: api-key, rotateEvery: 30d }
`;
  const got = entries(yaml).map(({ key, every }) => ({ key, every }));
  expect(got[0]).toEqual({ key: 'aws-iam-svc-billing', every: '90d' });
  expect(got[1]!.key).toMatch(/^aws-iam-svc-payments-corp-[0-9a-f]{8}$/);
  expect(got[1]!.every).toBe('12h');
  expect(got[2]).toEqual({ key: 'api-key', every: '30d' });
  // Without a default, only entries that say so rotate.
  expect(entries('credentials: [{ provider: aws-iam, owner: a }, { provider: aws-iam, owner: b, rotateEvery: 7d }]').map((e) => e.key)).toEqual(['aws-iam-b']);
  // Two owners that only differ in characters a schedule id cannot hold still get two names.
  expect(rotationKey({ provider: 'aws-iam', owner: 'a.b' })).not.toBe(rotationKey({ provider: 'aws-iam', owner: 'a_b' }));
});

test('the inventory refuses bad rotation settings by field', () => {
  const refused = (yaml: string) => {
    try {
      parseInventory(yaml);
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('accepted');
  };
  expect(refused('credentials: [{ provider: aws-iam, owner: a, rotateEvery: 30m }]')).toMatch(/credentials\[0\]\.rotateEvery: must be a number of days or hours such as 30d/);
  expect(refused('credentials: [{ provider: aws-iam, owner: a, rotateEvery: 0h }]')).toMatch(/credentials\[0\]\.rotateEvery: must be between 1h and 3650d/);
  expect(refused('credentials: [{ provider: aws-iam, owner: a, rotateEvery: 30d, rotation: { window: { hours: "17-09" } } }]')).toMatch(/credentials\[0\]\.rotation\.window\.hours: the start hour must come before/);
  expect(refused('credentials: [{ provider: aws-iam, owner: a, rotateEvery: 30d, rotation: { window: { days: [someday] } } }]')).toMatch(/credentials\[0\]\.rotation\.window\.days\[0\]: /);
  expect(refused('credentials: [{ provider: aws-iam, owner: a, rotateEvery: 30d, rotation: { approvals: [contain-it] } }]')).toMatch(/credentials\[0\]\.rotation\.approvals\[0\]: /);
  expect(refused('credentials: [{ provider: aws-iam, owner: a, name: "Not OK", rotateEvery: 30d }]')).toMatch(/credentials\[0\]\.name: must be lower-case letters/);
  expect(refused('credentials: [{ provider: aws-iam, owner: a, name: x, rotateEvery: 30d }, { provider: aws-iam, owner: b, name: x, rotateEvery: 7d }]')).toMatch(/credentials\[1\]\.name: rotates under the same name as credentials\[0\]/);
});

test('the window: now when inside it, else the first allowed hour after, in UTC', () => {
  const window = { days: ['mon' as const, 'tue' as const], hours: '09-17' };
  // Wednesday 2026-11-25 10:30 UTC: the next allowed hour is Monday 2026-11-30 09:00.
  expect(nextWindowStart(new Date('2026-11-25T10:30:00Z'), window).toISOString()).toBe('2026-11-30T09:00:00.000Z');
  // Monday 08:59: the same day at 09:00. Monday 12:00: now. Tuesday 17:00 (end excluded): next Monday.
  expect(nextWindowStart(new Date('2026-11-30T08:59:00Z'), window).toISOString()).toBe('2026-11-30T09:00:00.000Z');
  expect(nextWindowStart(new Date('2026-11-30T12:00:00Z'), window).toISOString()).toBe('2026-11-30T12:00:00.000Z');
  expect(nextWindowStart(new Date('2026-12-01T17:00:00Z'), window).toISOString()).toBe('2026-12-07T09:00:00.000Z');
  expect(nextWindowStart(new Date('2026-11-25T10:30:00Z'), undefined).toISOString()).toBe('2026-11-25T10:30:00.000Z');
});

test('the rotation record escapes what came from outside and says what was kept', () => {
  const state = {
    incidentId: 'rotation-q-api-2026-11-25T10:00:00Z',
    input: { provider: 'aws-iam', credentialId: 'AKIAOLDOLDOLDOLDOLD1', exposure: { source: 'schedule', public: false }, requestedBy: 'schedule api' },
    status: 'completed',
    phase: 'post-mortem',
    startedAt: '2026-11-25T10:00:00.000Z',
    finishedAt: '2026-11-25T10:00:05.000Z',
    tightened: [],
    reports: [],
    alerts: [],
    identification: { owner: 'svc|<b>api</b>', status: 'active', lastUsed: { unknown: true, reason: 'n/a' } },
    consumers: [{ name: 'api', store: 'prod-sm', key: 'x/api', field: 'json', deploy: 'hook', storeSpec: { kind: 'aws-secrets-manager' } }],
    storeWrites: [{ consumer: 'api', store: 'aws-secrets-manager', key: 'x/api', version: 'v2', changed: true }],
    deploys: [],
    actions: [],
    timeline: [{ at: '2026-11-25T10:00:01.000Z', phase: 'revoke', event: 'delete old key: kept: api may still use it' }],
    waiting: [],
    newCredential: { id: 'AKIANEWNEWNEWNEWNEW2', removed: [] },
    rotation: { key: 'api', oldCredentialId: 'AKIAOLDOLDOLDOLDOLD1', window: { days: ['mon'], hours: '09-17' } },
  } as unknown as IncidentState & { rotation: RotationFacts };
  const md = renderRotationRecord(state);
  expect(md).toMatch(/^# Rotation record: aws-iam credential api\n/);
  expect(md).not.toContain('AKIAOLDOLDOLDOLDOLD1');
  expect(md).toContain('AKIA…OLD1');
  expect(md).not.toContain('<b>');
  expect(md).toContain('| Window | mon 09-17 UTC |');
  expect(md).toContain('- api: aws-secrets-manager `x/api` version v2; not redeployed');
  expect(md).toContain('- Old credential: not revoked');
});
