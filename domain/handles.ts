// Vault handles are derived, never taken from a sender: a report cannot point a provider at another
// incident's secret. Pure, so workflows, activities and triggers agree on them.

/** Where a trigger keeps a leaked secret that its provider needs (a GitHub token is revoked by value). */
export const leakedHandle = (provider: string, credentialId: string) => `leaked/${provider}/${credentialId}`;
