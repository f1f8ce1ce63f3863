import type { NpmMaterial } from './material';

// What a person does where the registry's API cannot (or Leakstop may not): the text of manual steps
// and of errors that wait for a person. Account names and token keys only, never a token.

const register = (incidentId: string) =>
  `Then save it in a file only you can read and run: leakstop incident done ${incidentId} --credential-file FILE (Leakstop checks it with whoami and updates every consumer).`;

const restrictionsOf = (f: NpmMaterial) =>
  f.npmReadonly === undefined
    ? 'with the restrictions the leaked one had (they were not recorded before it was revoked)'
    : `${f.npmReadonly === 'true' ? 'read-only' : 'with read and publish rights'}${f.npmCidr ? `, limited to ${f.npmCidr}` : ''}${f.npmTokenType ? `, of type ${f.npmTokenType}` : ''}, as the leaked one was`;

export const manualText = {
  create: (registry: string, user: string, facts: NpmMaterial, why: string, incidentId: string) =>
    `${why} Sign in to ${registry} as ${user === 'unknown' ? 'the account the leaked token belonged to' : `npm user ${user}`} and create a new access token ${restrictionsOf(facts)} ` +
    `(npmjs.org: Access Tokens → Generate New Token; or \`npm token create --registry ${registry}\`${facts.npmReadonly === 'true' ? ' --read-only' : ''}${facts.npmCidr ? ` --cidr=${facts.npmCidr}` : ''}). ${register(incidentId)}`,
  noPassword: (user: string, source: string | undefined) =>
    source
      ? `The password of ${user} is configured as ${source}, which is empty or unreadable now.`
      : `Leakstop holds no password for ${user === 'unknown' ? 'the account' : user} (the registry asks for it to create a token; set providers.npm.accounts["${user}"].passwordEnv or passwordFile to let Leakstop do it).`,
  revokeByHand: (registry: string, user: string, key: string | undefined, why: string) =>
    `${why} Revoke it by hand: sign in to ${registry} as ${user}, and delete the token${key ? ` whose key starts ${key.slice(0, 8)}` : ''} from the account's access tokens (or \`npm token revoke ${key ? key.slice(0, 8) : '<id>'} --registry ${registry}\`); then confirm (done). Leakstop checks with the registry that it refuses the token.`,
};
