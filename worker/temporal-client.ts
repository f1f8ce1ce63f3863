import { Client, Connection } from '@temporalio/client';
import type { CodecKeys } from './codec';
import { leakstopDataConverter } from './data-converter';

/** A Temporal client that encrypts what it sends, like the worker. */
export async function connectClient(o: { address: string; namespace?: string; keys: CodecKeys }): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address: o.address });
  const client = new Client({ connection, namespace: o.namespace ?? 'default', dataConverter: leakstopDataConverter(o.keys) });
  return { client, close: () => connection.close() };
}
