import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { registerSecret } from '../../domain/redact';
import { catalog } from '..';
import type { SecretMaterial, SecretVault } from '../types';

/**
 * Keeps a new credential between regenerate and the stores, encrypted (AES-256-GCM) on local disk,
 * so the workflow only ever holds a handle. Survives a worker crash on the same host; several
 * worker hosts need the shared one (providers/postgres-vault, chosen by LEAKSTOP_VAULT_URL).
 */
export class LocalFileVault implements SecretVault {
  private key?: Buffer;

  constructor(private readonly dir: string) {}

  async put(handle: string, material: SecretMaterial): Promise<void> {
    registerVaultSecrets(material);
    const key = await this.masterKey();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(material), 'utf8'), cipher.final()]);
    const file = this.file(handle);
    await writeFile(`${file}.tmp`, Buffer.concat([iv, cipher.getAuthTag(), body]), { mode: 0o600 });
    await rename(`${file}.tmp`, file);
  }

  async get(handle: string): Promise<SecretMaterial | undefined> {
    const data = await readFile(this.file(handle)).catch((err) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
    if (!data) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', await this.masterKey(), data.subarray(0, 12));
    decipher.setAuthTag(data.subarray(12, 28));
    const material: SecretMaterial = JSON.parse(Buffer.concat([decipher.update(data.subarray(28)), decipher.final()]).toString('utf8'));
    registerVaultSecrets(material); // a new worker process learns what to redact
    return material;
  }

  async delete(handle: string): Promise<void> {
    await rm(this.file(handle), { force: true });
  }

  private file(handle: string): string {
    return path.join(this.dir, `${createHash('sha256').update(handle).digest('hex')}.vault`);
  }

  private async masterKey(): Promise<Buffer> {
    if (this.key) return this.key;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const keyFile = path.join(this.dir, 'vault.key');
    try {
      await writeFile(keyFile, randomBytes(32), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    this.key = await readFile(keyFile);
    return this.key;
  }
}

/**
 * What every vault does with material it stores or reads (this one and providers/postgres-vault), so the
 * worker holding it redacts it. Facts (a key id, a login, scopes) stay readable in logs and reports; only
 * secret fields are registered. A field this version does not know (an entry written by another version)
 * counts as a secret.
 */
export function registerVaultSecrets(material: SecretMaterial): void {
  for (const [field, value] of Object.entries(material)) {
    if (!catalog.isFact(field)) registerSecret(value);
  }
}
