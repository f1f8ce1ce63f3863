import sodium from 'libsodium-wrappers';

/**
 * Encrypts a value for GitHub Actions: a libsodium sealed box to the scope's public key, both in
 * standard base64, as GitHub's "Encrypting secrets for the REST API" guide prescribes. Only GitHub
 * holds the private key, so the value can be written but never read back.
 */
export async function sealForGitHub(publicKeyBase64: string, value: string): Promise<string> {
  await sodium.ready;
  const key = sodium.from_base64(publicKeyBase64, sodium.base64_variants.ORIGINAL);
  return sodium.to_base64(sodium.crypto_box_seal(sodium.from_string(value), key), sodium.base64_variants.ORIGINAL);
}
