import { z } from 'zod';

// What each sender posts, declared only as far as Leakstop reads it. Everything else passes through
// (loose objects), so a sender adding fields never breaks delivery. Required fields are refused by
// name; an optional, informational one that is null (GitHub and GitGuardian send null rather than
// leave a field out) or of an odd type is read as absent: a stray detail must not drop a real leak.

const text = z.string().min(1);
const maybe = <T extends z.ZodType>(schema: T) => schema.nullish().catch(undefined);

// ---- GitHub: secret_scanning_alert, secret_scanning_alert_location ----

const GitHubUserSchema = z.looseObject({ login: text });

export const GitHubActionSchema = z.looseObject({ action: text });

export const GitHubAlertEventSchema = z.looseObject({
  action: text,
  alert: z.looseObject({
    number: z.int().positive(),
    secret_type: maybe(z.string()),
    validity: maybe(z.string()),
    publicly_leaked: maybe(z.boolean()),
  }),
  /** Only on secret_scanning_alert_location: the place just found. */
  location: maybe(
    z.looseObject({
      details: maybe(
        z.looseObject({
          path: maybe(z.string()),
          start_line: maybe(z.number()),
          commit_sha: maybe(z.string()),
          blob_url: maybe(z.string()),
        }),
      ),
    }),
  ),
  repository: z.looseObject({
    name: text,
    owner: GitHubUserSchema,
    private: maybe(z.boolean()),
    visibility: maybe(z.string()),
  }),
  sender: maybe(GitHubUserSchema),
});
export type GitHubAlertEvent = z.infer<typeof GitHubAlertEventSchema>;

// ---- GitGuardian custom webhook (event-based) ----

export const GitGuardianIncidentSchema = z.looseObject({
  id: z.int(),
  date: maybe(z.string()),
  detector: z.looseObject({
    name: text,
    display_name: maybe(z.string()),
    detector_group_name: maybe(z.string()),
  }),
  secret_hash: maybe(z.string()),
  hmsl_hash: maybe(z.string()),
  gitguardian_url: maybe(z.string()),
  status: maybe(z.string()),
});
/** What `identify` receives: GitGuardian never sends the secret, only its hashes and where it was found. */
export type GitGuardianIncident = z.infer<typeof GitGuardianIncidentSchema>;

export const GitGuardianEventSchema = z.looseObject({
  action: text,
  target_user: maybe(z.string()),
  incident: GitGuardianIncidentSchema,
  /** Only on new_occurrence. */
  occurrence: maybe(
    z.looseObject({
      url: maybe(z.string()),
      filepath: maybe(z.string()),
      sha: maybe(z.string()),
      source: maybe(
        z.looseObject({
          url: maybe(z.string()),
          full_name: maybe(z.string()),
          name: maybe(z.string()),
          visibility: maybe(z.string()),
        }),
      ),
    }),
  ),
});
export type GitGuardianEvent = z.infer<typeof GitGuardianEventSchema>;

// ---- TruffleHog `--json`: one finding per line ----

const TruffleHogPlaceSchema = z.looseObject({
  commit: maybe(z.string()),
  file: maybe(z.string()),
  line: maybe(z.number()),
  repository: maybe(z.string()),
  link: maybe(z.string()),
});

export const TruffleHogFindingSchema = z.looseObject({
  DetectorName: maybe(z.string()),
  DetectorType: maybe(z.union([z.int(), z.string()])),
  /** For AWS, the access key id; the secret only appears in RawV2, which is never read. */
  Raw: maybe(z.string()),
  Verified: maybe(z.boolean()),
  SourceMetadata: maybe(
    z.looseObject({
      Data: maybe(
        z.looseObject({
          Git: maybe(TruffleHogPlaceSchema),
          Github: maybe(TruffleHogPlaceSchema),
          Filesystem: maybe(TruffleHogPlaceSchema),
        }),
      ),
    }),
  ),
});
export type TruffleHogFinding = z.infer<typeof TruffleHogFindingSchema>;

// ---- AWS Health, through an EventBridge API destination ----

export const AwsHealthEventSchema = z.looseObject({
  source: text,
  'detail-type': text,
  time: maybe(z.string()),
  detail: z.looseObject({
    eventTypeCode: text,
    eventArn: maybe(z.string()),
    affectedEntities: maybe(z.array(z.looseObject({ entityValue: maybe(z.string()) }))),
  }),
});
export type AwsHealthEvent = z.infer<typeof AwsHealthEventSchema>;
