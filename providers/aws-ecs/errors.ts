import { redact } from '../../domain/redact';
import { permanentOnAwsError } from '../aws/config';
import { PermanentError } from '../types';

/**
 * An ECS call; an error retrying cannot fix becomes a PermanentError named `${what}: <error>`. Besides
 * the errors every AWS service shares, ECS answers a request that names a resource wrongly or lacks a
 * permission with its own `ClientException` ("the error is caused by the client"): retrying it only
 * delays the person who must fix the inventory.
 */
export async function ecsCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  return permanentOnAwsError(what, async () => {
    try {
      return await fn();
    } catch (err) {
      if ((err as Error).name === 'ClientException') throw new PermanentError(`${what}: ClientException: ${redact((err as Error).message).slice(0, 300)}`, 'invalid');
      throw err;
    }
  });
}
