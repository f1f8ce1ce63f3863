import type { Consumer } from './schemas';

/** A new credential as it waits in the vault: an AWS key's two halves, or a token (`secret`). */
export type Material = Record<string, string>;

/**
 * What a consumer's store receives: the whole credential as environment-style JSON, or one part.
 * Returns undefined when the consumer asks for a part this credential does not have.
 */
export function renderSecret(material: Material, field: Consumer['field']): string | undefined {
  const isAwsKey = material.accessKeyId !== undefined && material.secretAccessKey !== undefined;
  switch (field) {
    case 'accessKeyId':
    case 'secretAccessKey':
      return material[field];
    case 'token':
      return isAwsKey ? undefined : material.secret;
    case 'json':
      return isAwsKey
        ? JSON.stringify({ AWS_ACCESS_KEY_ID: material.accessKeyId, AWS_SECRET_ACCESS_KEY: material.secretAccessKey })
        : material.secret !== undefined
          ? JSON.stringify({ GITHUB_TOKEN: material.secret })
          : undefined;
  }
}
