import { Client, Connection, type ConnectionLike } from '@temporalio/client';
import type { CodecKeys } from './codec';
import { leakstopDataConverter } from './data-converter';

/** A Temporal client on `connection` that encrypts what it sends, like the worker (on a worker's NativeConnection, starts can be eager). */
export function clientOn(connection: ConnectionLike, o: { namespace?: string; keys: CodecKeys }): Client {
  return new Client({ connection, namespace: o.namespace ?? 'default', dataConverter: leakstopDataConverter(o.keys) });
}

/** A Temporal client with a connection of its own. */
export async function connectClient(o: { address: string; namespace?: string; keys: CodecKeys }): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address: o.address });
  return { client: clientOn(connection, o), close: () => connection.close() };
}
