import fc from 'fast-check';
import { ApplicationFailure, WorkflowFailedError, type Client } from '@temporalio/client';
import { ValidationError } from '../domain/issues';
import { catalog } from '../providers';

const { IncidentInputSchema } = catalog;
import { reportLeak } from '../triggers/incidents';
import { INCIDENT_WORKFLOW_TYPE } from '../workflows/definitions';
import { startWorker, uniqueQueue, useTemporal } from './support/env';

// Fuzzed workflow input: whatever arrives (from a trigger or typed into the Temporal UI), the answer
// is a clean validation error naming fields, never a crash, a retry loop or a started runbook.

let client: Client;
useTemporal((c) => (client = c));

/** Inputs shaped like the real one, with any field of any type, plus arbitrary JSON. */
const nearlyValid = fc.record(
  {
    provider: fc.oneof(fc.constantFrom('aws-iam', 'github-token', 'azure', ''), fc.anything()),
    credentialId: fc.oneof(fc.constant('AKIAIOSFODNN7EXAMPLE'), fc.string(), fc.integer(), fc.constant(null)),
    exposure: fc.oneof(fc.record({ source: fc.oneof(fc.constantFrom('cli', 'slack', 'fax'), fc.anything()), public: fc.anything(), line: fc.anything(), url: fc.oneof(fc.webUrl(), fc.string()) }, { requiredKeys: [] }), fc.anything()),
    requestedBy: fc.oneof(fc.string({ maxLength: 300 }), fc.anything()),
    severity: fc.anything(),
    policy: fc.oneof(fc.record({ contain: fc.string(), approvals: fc.anything(), escalateAfter: fc.string() }, { requiredKeys: [] }), fc.anything()),
  },
  { requiredKeys: [] },
);
const anyInput = fc.oneof(nearlyValid, fc.jsonValue(), fc.anything());

test('the input schema never throws and every rejection names a field', () => {
  fc.assert(
    fc.property(anyInput, (input) => {
      const r = IncidentInputSchema.safeParse(input);
      if (!r.success) expect(r.error.issues.length).toBeGreaterThan(0);
    }),
    { numRuns: 2000 },
  );
});

test('reportLeak refuses every invalid input with a ValidationError and starts nothing', async () => {
  const taskQueue = uniqueQueue('fuzz-report'); // no worker: a started workflow would stay visible
  await fc.assert(
    fc.asyncProperty(anyInput, async (input) => {
      if (IncidentInputSchema.safeParse(input).success) return;
      const err = await reportLeak(client, taskQueue, input).then(() => undefined, (e) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).fields.length).toBeGreaterThan(0);
    }),
    { numRuns: 300 },
  );
  const started = [];
  for await (const wf of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) started.push(wf.workflowId);
  expect(started).toEqual([]);
});

test('started by hand with fuzzed input, the workflow fails at once with a non-retryable ValidationError', async () => {
  const taskQueue = uniqueQueue('fuzz-ui');
  const worker = await startWorker({ taskQueue, inventory: '{}' });
  try {
    const samples = fc.sample(anyInput.filter((i) => !IncidentInputSchema.safeParse(i).success), { numRuns: 15, seed: 42 });
    for (const [n, input] of samples.entries()) {
      const handle = await client.workflow.start(INCIDENT_WORKFLOW_TYPE, { taskQueue, workflowId: `fuzz-${taskQueue}-${n}`, args: [input] });
      const err = await handle.result().then(() => undefined, (e) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
      expect([cause.type, cause.nonRetryable]).toEqual(['ValidationError', true]);
      expect(cause.message).toMatch(/^incident input is invalid:\n\S+: /);
    }
  } finally {
    await worker.stop();
  }
});
