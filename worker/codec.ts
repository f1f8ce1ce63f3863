import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

// Everything Temporal stores for Leakstop (inputs, results, signals, updates, failures) is encrypted
// with AES-256-GCM before it leaves the process. The key id travels in the payload's metadata, so
// after a rotation old histories still decrypt with the old key.

const ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';

export interface CodecKeys {
  /** New payloads are encrypted with this one. */
  active: string;
  keys: Record<string, Buffer>;
}

export class AesGcmCodec implements PayloadCodec {
  constructor(private readonly k: CodecKeys) {
    if (!k.keys[k.active]) throw new Error(`codec: the active key "${k.active}" is not among the keys`);
    for (const [id, key] of Object.entries(k.keys)) {
      if (key.length !== 32) throw new Error(`codec: key "${id}" must be 32 bytes (AES-256), got ${key.length}`);
    }
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.k.keys[this.k.active]!;
    return payloads.map((p) => {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const plain = temporal.api.common.v1.Payload.encode(p).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ENCODING), [KEY_ID]: Buffer.from(this.k.active) },
        data,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (Buffer.from(p.metadata?.[METADATA_ENCODING_KEY] ?? []).toString() !== ENCODING) return p;
      const id = Buffer.from(p.metadata?.[KEY_ID] ?? []).toString();
      const key = this.k.keys[id];
      if (!key) throw new Error(`codec: payload encrypted with unknown key "${id}"`);
      const data = Buffer.from(p.data ?? []);
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
      decipher.setAuthTag(data.subarray(data.length - 16));
      const plain = Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain) as Payload;
    });
  }
}

/**
 * Keys from LEAKSTOP_CODEC_KEYS (`id:base64key,id2:base64key`, the first one active), else from
 * `<dataDir>/codec-keys.json`, which the local default creates on first run (owner-only).
 */
export function loadCodecKeys(dataDir: string, env: NodeJS.ProcessEnv = process.env, say: (s: string) => void = () => {}): CodecKeys {
  if (env.LEAKSTOP_CODEC_KEYS) return parseKeyList(env.LEAKSTOP_CODEC_KEYS);
  const file = path.join(dataDir, 'codec-keys.json');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    const id = `local-${new Date().toISOString().slice(0, 10)}`;
    try {
      writeFileSync(file, JSON.stringify({ active: id, keys: { [id]: randomBytes(32).toString('base64') } }, null, 2), { mode: 0o600, flag: 'wx' });
      chmodSync(file, 0o600);
      say(`generated a payload encryption key "${id}" in ${file} (owner-only); back it up: without it, histories cannot be read`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // another process made it first
    }
  }
  const raw = JSON.parse(readFileSync(file, 'utf8')) as { active: string; keys: Record<string, string> };
  return { active: raw.active, keys: Object.fromEntries(Object.entries(raw.keys).map(([id, k]) => [id, Buffer.from(k, 'base64')])) };
}

function parseKeyList(value: string): CodecKeys {
  const entries = value.split(',').map((part, i) => {
    const [id, key] = part.trim().split(':');
    if (!id || !key) throw new Error(`LEAKSTOP_CODEC_KEYS: entry ${i + 1} must be id:base64key`);
    return [id, Buffer.from(key, 'base64')] as const;
  });
  return { active: entries[0]![0], keys: Object.fromEntries(entries) };
}
