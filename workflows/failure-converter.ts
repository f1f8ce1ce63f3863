import { DefaultFailureConverter } from '@temporalio/common';

// Failure messages and stack traces can carry secrets: move them into an encoded attributes payload,
// which the codec encrypts. Loaded by path in workers, clients and the workflow bundle.
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
