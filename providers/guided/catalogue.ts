import type { LeakPattern } from '../../domain/secret-patterns';

// The credentials Leakstop cannot call, and what a person does about each: where to revoke it, how to
// make the replacement, the issuer's documentation. Scanner names: TruffleHog proto/detector_type.proto
// (name and number), GitHub's "Supported secret scanning patterns", GitGuardian's detector names.
// Patterns keep the linear-time rules of domain/secret-patterns.ts: redaction runs them over any text.

export interface GuidedType {
  /** For people: "Google API key". */
  label: string;
  issuer: string;
  /** The issuer's page on revoking and creating this credential. */
  docs: string;
  /** How to stop the leaked credential from working (the contain step). */
  contain: string;
  /** How to make the replacement (the regenerate step). */
  create: string;
  /**
   * How to get rid of the leaked one for good (the revoke step); absent when containing already did
   * (a key that can only be deleted, not disabled).
   */
  revoke?: string;
  /** The variable applications read it from, for a consumer's `json` field. */
  env: string;
  /** Its shapes in text, when it has a recognisable one; the first match of a value decides its type. */
  patterns?: Record<string, LeakPattern>;
  scanners: { github?: readonly string[]; trufflehog?: readonly (string | number)[]; gitguardian?: readonly string[] };
}

const EDGE = '(?<![A-Za-z0-9_-])';

export const GUIDED_TYPES = {
  'google-api-key': {
    label: 'Google API key',
    issuer: 'Google Cloud',
    docs: 'https://cloud.google.com/docs/authentication/api-keys',
    contain:
      'In the Google Cloud console (APIs & Services → Credentials) of the project that owns the key, restrict it so it works nowhere (API restrictions: none selected is not enough; set an application restriction no caller meets) or delete it if nothing legitimate may use it until the replacement is deployed.',
    create: 'In the same project, create a new API key (APIs & Services → Credentials → Create credentials → API key) with the API and application restrictions the leaked one had.',
    revoke: 'Delete the leaked key in APIs & Services → Credentials (a deleted key can be undeleted for 30 days, then it is gone).',
    env: 'GOOGLE_API_KEY',
    patterns: { 'google-api-key': { source: `${EDGE}(AIza)[0-9A-Za-z_-]{35}` } },
    scanners: { github: ['google_api_key'], trufflehog: ['GoogleApiKey', 71, 'GoogleGeminiAPIKey', 1041, 'YoutubeApiKey', 46], gitguardian: ['google_api_key'] },
  },
  'google-service-account-key': {
    label: 'Google service account key',
    issuer: 'Google Cloud',
    docs: 'https://cloud.google.com/iam/docs/keys-create-delete',
    contain: 'In IAM & Admin → Service accounts, open the account named in the key file (client_email), Keys tab: disable the key with the leaked private_key_id (gcloud iam service-accounts keys disable KEY_ID --iam-account ACCOUNT).',
    create: 'Create a new key for the same service account (Keys → Add key → Create new key, JSON) and keep the file only where you register it.',
    revoke: 'Delete the disabled key (gcloud iam service-accounts keys delete KEY_ID --iam-account ACCOUNT).',
    env: 'GOOGLE_APPLICATION_CREDENTIALS_JSON',
    scanners: { github: ['google_cloud_private_key_id'], trufflehog: ['GCP', 6, 'GCPApplicationDefaultCredentials', 983], gitguardian: ['google_service_account_key', 'gcp_service_account'] },
  },
  'openai-api-key': {
    label: 'OpenAI API key',
    issuer: 'OpenAI',
    docs: 'https://help.openai.com/en/articles/9047852-how-can-i-delete-my-api-key',
    contain: 'In the OpenAI platform (Settings → API keys of the project that owns it), delete the leaked key: OpenAI keys cannot be disabled, only deleted. Review the project usage page for use you do not recognise.',
    create: 'Create a new secret key in the same project (API keys → Create new secret key) with the same permissions (All, Restricted or Read only) and owner (you or a service account).',
    env: 'OPENAI_API_KEY',
    patterns: {
      'openai-api-key': { source: `${EDGE}(sk-(?:proj|svcacct|admin)-)[A-Za-z0-9_-]{20,}` },
      'openai-legacy-key': { source: `${EDGE}(sk-)[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}` },
    },
    scanners: { github: ['openai_api_key'], trufflehog: ['OpenAI', 201, 'OpenAIAdmin', 1040], gitguardian: ['openai_apikey'] },
  },
  'anthropic-api-key': {
    label: 'Anthropic API key',
    issuer: 'Anthropic',
    docs: 'https://docs.anthropic.com/en/api/admin-api/apikeys/update-api-key',
    contain: 'In the Claude Console (Settings → API keys), disable the leaked key (or set its status to inactive through the Admin API).',
    create: 'Create a new API key in the same workspace (Settings → API keys → Create key).',
    revoke: 'Delete the leaked key in Settings → API keys.',
    env: 'ANTHROPIC_API_KEY',
    patterns: { 'anthropic-api-key': { source: `${EDGE}(sk-ant-(?:api|admin)\\d\\d-)[A-Za-z0-9_-]{20,}` } },
    scanners: { github: ['anthropic_api_key'], trufflehog: ['Anthropic', 933], gitguardian: ['anthropic_api_key'] },
  },
  'stripe-secret-key': {
    label: 'Stripe secret key',
    issuer: 'Stripe',
    docs: 'https://docs.stripe.com/keys#rolling-keys',
    contain:
      'In the Stripe Dashboard (Developers → API keys), roll the leaked key with an expiry of "now" (a restricted key: roll it, or delete it). Rolling creates the replacement at the same time: keep it for the next step.',
    create: 'If rolling did not already create it, roll the key (or create a restricted key with the same permissions). Copy the new key once; Stripe shows it only then.',
    env: 'STRIPE_SECRET_KEY',
    patterns: { 'stripe-secret-key': { source: `${EDGE}((?:sk|rk)_(?:live|test)_)[0-9A-Za-z]{20,}` } },
    scanners: { github: ['stripe_api_key', 'stripe_live_restricted_key', 'stripe_test_secret_key', 'stripe_test_restricted_key'], trufflehog: ['Stripe', 16], gitguardian: ['stripe_keys'] },
  },
  'twilio-api-key': {
    label: 'Twilio API key',
    issuer: 'Twilio',
    docs: 'https://www.twilio.com/docs/iam/api-keys',
    contain: 'In the Twilio Console (Account → API keys & tokens), delete the leaked API key (SK…). If the account Auth Token leaked, rotate it (secondary token, promote) instead.',
    create: 'Create a new API key of the same type (Standard, Main or Restricted with the same permissions) and keep its secret: Twilio shows it once.',
    env: 'TWILIO_API_SECRET',
    scanners: { github: ['twilio_api_key', 'twilio_access_token'], trufflehog: ['Twilio', 26, 'TwilioApiKey', 1011], gitguardian: ['twilio_keys'] },
  },
  'sendgrid-api-key': {
    label: 'SendGrid API key',
    issuer: 'Twilio SendGrid',
    docs: 'https://www.twilio.com/docs/sendgrid/ui/account-and-settings/api-keys',
    contain: 'In SendGrid (Settings → API Keys), delete the leaked key: SendGrid keys cannot be disabled. Check Activity for mail you did not send.',
    create: 'Create an API key with the same permissions (Full Access, Restricted Access with the same scopes, or Billing Access).',
    env: 'SENDGRID_API_KEY',
    patterns: { 'sendgrid-api-key': { source: `${EDGE}(SG\\.)[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}` } },
    scanners: { github: ['sendgrid_api_key'], trufflehog: ['SendGrid', 12], gitguardian: ['sendgrid_key'] },
  },
  'datadog-api-key': {
    label: 'Datadog API or application key',
    issuer: 'Datadog',
    docs: 'https://docs.datadoghq.com/account_management/api-app-keys/',
    contain: 'In Datadog (Organization Settings → API Keys, or Application Keys), revoke the leaked key.',
    create: 'Create a new key there with the same name pattern and, for an application key, the same scopes and owner.',
    env: 'DD_API_KEY',
    scanners: { github: ['datadog_api_key', 'datadog_app_key'], trufflehog: ['DatadogToken', 39, 'DatadogApikey', 1043], gitguardian: ['datadog_keys'] },
  },
  'azure-client-secret': {
    label: 'Azure (Entra ID) client secret',
    issuer: 'Microsoft Entra ID',
    docs: 'https://learn.microsoft.com/entra/identity-platform/how-to-add-credentials',
    contain: 'In Entra ID → App registrations → the application → Certificates & secrets, delete the leaked client secret (its Secret ID is shown there, never its value). Review the sign-in logs of its service principal.',
    create: 'Add a new client secret to the same application (New client secret), with an expiry, and copy its value: Entra shows it once.',
    env: 'AZURE_CLIENT_SECRET',
    patterns: { 'azure-client-secret': { source: `${EDGE}[A-Za-z0-9_~.-]{3}\\dQ~[A-Za-z0-9_~.-]{31,34}` } },
    scanners: {
      github: ['azure_active_directory_application_secret', 'azure_active_directory_application_id'],
      trufflehog: ['AzureActiveDirectoryApplicationSecret', 969, 'Azure', 3],
      gitguardian: ['azure_ad_client_secret'],
    },
  },
  'generic-secret': {
    label: 'secret',
    issuer: 'its issuer',
    docs: 'https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html',
    contain: 'Find the system this secret belongs to (the file it leaked from, the variable it was assigned to, the scanner finding) and revoke or disable it there; if it is a password, change it and end the sessions opened with it.',
    create: 'Create the replacement the same way the leaked one was made (same account, same permissions).',
    revoke: 'Make sure the leaked value can never be used again (deleted, not only disabled) and remove it from the history it leaked into where you can.',
    env: 'SECRET',
    scanners: { github: ['password', 'http_basic_authentication_header', 'http_bearer_authentication_header'], trufflehog: ['URI', 17, 'JDBC', 10], gitguardian: ['generic_password', 'generic_high_entropy_secret', 'basic_auth_string'] },
  },
} as const satisfies Record<string, GuidedType>;

export type GuidedTypeId = keyof typeof GUIDED_TYPES;
export const GUIDED_TYPE_IDS = Object.keys(GUIDED_TYPES) as GuidedTypeId[];
export const guidedType = (id: string): GuidedType | undefined => (Object.hasOwn(GUIDED_TYPES, id) ? GUIDED_TYPES[id as GuidedTypeId] : undefined);

/** Every type's patterns, under its own names: what redaction masks and what recognises a value's type. */
export const GUIDED_PATTERNS: Record<string, LeakPattern> = Object.assign({}, ...Object.values(GUIDED_TYPES).map((t: GuidedType) => t.patterns ?? {}));

const byValue: [GuidedTypeId, RegExp][] = GUIDED_TYPE_IDS.flatMap((id) =>
  Object.values((GUIDED_TYPES[id] as GuidedType).patterns ?? {}).map((p): [GuidedTypeId, RegExp] => [id, new RegExp(`^(?:${p.source})$`)]),
);

/** The type a value's own shape says, whatever a scanner called it (so reports from every scanner join one incident). */
export function typeOfValue(value: string): GuidedTypeId | undefined {
  return byValue.find(([, re]) => re.test(value))?.[0];
}

/** The type a scanner's name for a finding says. */
export function typeOfScannerName(scanner: 'github' | 'trufflehog' | 'gitguardian', name: string | number): GuidedTypeId | undefined {
  return GUIDED_TYPE_IDS.find((id) => ((GUIDED_TYPES[id] as GuidedType).scanners[scanner] as readonly (string | number)[] | undefined)?.includes(name));
}

/** Every scanner name of every type, for the module's `scanners`. */
export const GUIDED_SCANNERS = {
  github: GUIDED_TYPE_IDS.flatMap((id) => (GUIDED_TYPES[id] as GuidedType).scanners.github ?? []),
  trufflehog: GUIDED_TYPE_IDS.flatMap((id) => (GUIDED_TYPES[id] as GuidedType).scanners.trufflehog ?? []),
  gitguardian: GUIDED_TYPE_IDS.flatMap((id) => (GUIDED_TYPES[id] as GuidedType).scanners.gitguardian ?? []),
};
