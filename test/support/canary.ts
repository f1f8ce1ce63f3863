import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { encodings } from '../../domain/redact';
import { AesGcmCodec } from '../../worker/codec';
import { codecKeys, testEnv } from './env';
import { asSuperuser } from './postgres-server';

/**
 * Every form in which a secret could be written: as is, URL-encoded, and base64 at each of the three
 * byte alignments it can have inside a longer base64 blob (standard and URL alphabets).
 */
export function forms(secret: string): string[] {
  const out = new Set(encodings(secret));
  const bytes = Buffer.from(secret, 'utf8');
  for (let k = 0; k < 3; k++) {
    for (const alphabet of ['base64', 'base64url'] as const) {
      const enc = Buffer.concat([Buffer.alloc(k), bytes]).toString(alphabet);
      // Drop the quad mixed with the padding bytes in front and the last quad (padding behind).
      out.add(enc.slice(k ? 4 : 0, -4));
    }
  }
  return [...out].filter((f) => f.length >= 12);
}

/** Where any secret occurs in a sink, in any form. Empty means clean. */
export function findLeaks(sink: string, text: string | Buffer, secrets: Record<string, string>): string[] {
  const hay = typeof text === 'string' ? text : text.toString('latin1');
  const hits: string[] = [];
  for (const [name, secret] of Object.entries(secrets)) {
    for (const f of forms(secret)) if (hay.includes(f)) hits.push(`${sink}: ${name} (${f === secret ? 'plain' : 'encoded'})`);
  }
  return hits;
}

// ---- Reading the sinks (the leak canary, test/canary.test.ts, and the provider modules' incident tests) ----

export type RawPayload = { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null };

/** Every Payload message anywhere in a history response. */
export function collectPayloads(value: unknown, out: RawPayload[] = [], at = ''): RawPayload[] {
  if (!value || typeof value !== 'object' || value instanceof Uint8Array) return out;
  const v = value as Record<string, unknown>;
  if (v.metadata && typeof v.metadata === 'object' && 'data' in v) {
    // Not user data, and not passed through codecs by the SDK: search attributes (indexed by the server;
    // they hold only redacted ids), the local-activity marker's bookkeeping (sequence, attempt, times)
    // and patch markers (the patch's name). They are still searched for secrets with the rest below.
    const sdkOwn = ['.indexedFields.', '.markerRecordedEventAttributes.details.data.', '.markerRecordedEventAttributes.details.patch-data.'];
    if (!sdkOwn.some((p) => at.includes(p))) out.push(v as RawPayload);
  } else for (const [k, child] of Object.entries(v)) collectPayloads(child, out, `${at}.${k}`);
  return out;
}

/** A payload in the codec server's request shape (the Temporal UI's: base64 metadata and data). */
export function payloadJson(p: RawPayload) {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, b]) => [k, Buffer.from(b).toString('base64')])),
    data: Buffer.from(p.data ?? []).toString('base64'),
  };
}

export interface HistorySinks {
  /** The history as the server sends it, without the codec: protobuf bytes and their JSON form. */
  raw: Buffer;
  rawJson: string;
  /** The payloads the codec would decode (SDK bookkeeping left out, see collectPayloads). */
  payloads: RawPayload[];
  /** What a person with the codec reads: every payload decrypted, as text. */
  decoded: string;
}

/** A workflow's history fetched straight from the server (no codec), and decoded with the run's codec. */
export async function historySinks(client: Client, workflowId: string): Promise<HistorySinks> {
  const history = await client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId } });
  const raw = Buffer.from(temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse.encode(history).finish());
  const payloads = collectPayloads(history);
  const decoded = (await new AesGcmCodec(codecKeys()).decode(payloads)).map((p) => Buffer.from(p.data ?? []).toString('utf8')).join('\n');
  return { raw, rawJson: JSON.stringify(history), payloads, decoded };
}

/** The run's Temporal database (the dev server's SQLite files, write-ahead log included), raw. */
export function temporalDatabase(): Buffer {
  const dir = path.join(testEnv().dir, 'temporal');
  // SQLite's -journal and -wal files come and go while the server runs: one listed a moment ago may be
  // gone (its pages are then in the database file, which is read too).
  const read = (f: string) => {
    try {
      return readFileSync(path.join(dir, f));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
      throw err;
    }
  };
  return Buffer.concat(readdirSync(dir).filter((f) => f.startsWith('temporal.sqlite')).map(read));
}

/** Every file under `dir` (a worker's data folder: vault, reports, delivery log), by path, raw. */
export function filesUnder(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      const file = path.join(entry.parentPath, entry.name);
      out[path.relative(dir, file)] = readFileSync(file);
    }
  }
  return out;
}

/**
 * The sinks every incident has: its history (raw, as JSON, decoded), the Temporal database, its result,
 * and the worker's data folder (vault, post-mortem). Tests add their provider's own (a server's logs).
 */
export async function incidentSinks(client: Client, incidentId: string, result: unknown, dataDir: string): Promise<{ history: HistorySinks; sinks: Record<string, string | Buffer> }> {
  const history = await historySinks(client, incidentId);
  const sinks: Record<string, string | Buffer> = {
    'raw history': history.raw,
    'raw history (JSON)': history.rawJson,
    'decoded history': history.decoded,
    'Temporal database': temporalDatabase(),
    'incident result': JSON.stringify(result),
  };
  for (const [file, bytes] of Object.entries(filesUnder(dataDir))) sinks[`data folder: ${file}`] = bytes;
  return { history, sinks };
}

/** Every value of every table of a PostgreSQL database, raw (bytea as its bytes): what a database reader sees. */
export async function databaseBytes(pg: { host?: string; port: number; superuser: string; password: string }, database: string): Promise<Buffer> {
  return asSuperuser(pg, async (c) => {
    const tables = (await c.query<{ schema: string; name: string }>("SELECT table_schema AS schema, table_name AS name FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')")).rows;
    const parts: Buffer[] = [];
    for (const t of tables) {
      for (const row of (await c.query(`SELECT * FROM "${t.schema}"."${t.name}"`)).rows) {
        for (const v of Object.values(row)) parts.push(Buffer.isBuffer(v) ? v : Buffer.from(v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)));
      }
    }
    return Buffer.concat(parts);
  }, database);
}
