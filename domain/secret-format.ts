import type { Consumer } from './schemas';

/** A new AWS access key as it waits in the vault. */
export interface AwsKeyMaterial {
  accessKeyId: string;
  secretAccessKey: string;
  [field: string]: string;
}

/** What a consumer's store receives: both halves as environment-style JSON, or one half. */
export function renderSecret(material: AwsKeyMaterial, field: Consumer['field']): string {
  switch (field) {
    case 'accessKeyId':
      return material.accessKeyId;
    case 'secretAccessKey':
      return material.secretAccessKey;
    case 'json':
      return JSON.stringify({ AWS_ACCESS_KEY_ID: material.accessKeyId, AWS_SECRET_ACCESS_KEY: material.secretAccessKey });
  }
}
