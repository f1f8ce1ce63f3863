import type { View } from '@slack/web-api';
import type { ViewStateValue } from '@slack/bolt';
import { SEVERITIES, type IncidentInput } from '../../domain/schemas';
import { catalog } from '../../providers';
import { encodeContext, type ViewContext } from './reply';
import { findSecret, pastedSecretMessage } from './secrets';

// The "report a leaked credential" modal: its blocks, and reading a submission into the one
// incident input schema every trigger shares. Errors come back keyed by block id, which is what
// Slack's response_action "errors" expects.

export const REPORT_VIEW = 'leakstop_report';
export const BLOCK = { provider: 'provider', credential: 'credential', where: 'where', public: 'public', severity: 'severity' } as const;
type BlockId = (typeof BLOCK)[keyof typeof BLOCK];
const VALUE = 'value';

const option = (value: string, text = value) => ({ text: { type: 'plain_text' as const, text }, value });

/** `prefill` is a credential id the command already named; never anything that failed the secret check. */
export function reportView(context: ViewContext, prefill?: string): View {
  return {
    type: 'modal',
    callback_id: REPORT_VIEW,
    private_metadata: encodeContext(context),
    title: { type: 'plain_text', text: 'Report a leak' },
    submit: { type: 'plain_text', text: 'Start response' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'input',
        block_id: BLOCK.provider,
        label: { type: 'plain_text', text: 'Provider' },
        element: { type: 'static_select', action_id: VALUE, options: catalog.kinds.map((p) => option(p, catalog.credential(p).label)), initial_option: option(catalog.kinds[0], catalog.credential(catalog.kinds[0]).label) },
      },
      {
        type: 'input',
        block_id: BLOCK.credential,
        label: { type: 'plain_text', text: 'Credential id' },
        hint: { type: 'plain_text', text: catalog.kinds.map((k) => catalog.credential(k).reportHint).join(' ') },
        element: {
          type: 'plain_text_input',
          action_id: VALUE,
          placeholder: { type: 'plain_text', text: 'AKIA…' },
          ...(prefill ? { initial_value: prefill } : {}),
        },
      },
      {
        type: 'input',
        block_id: BLOCK.where,
        optional: true,
        label: { type: 'plain_text', text: 'Where it leaked' },
        hint: { type: 'plain_text', text: 'A URL (commit, log, paste, scanner alert) or a repository (owner/name).' },
        element: { type: 'plain_text_input', action_id: VALUE },
      },
      {
        type: 'input',
        block_id: BLOCK.public,
        optional: true,
        label: { type: 'plain_text', text: 'Exposure' },
        element: { type: 'checkboxes', action_id: VALUE, options: [option('public', 'It is public (anyone could have seen it)')] },
      },
      {
        type: 'input',
        block_id: BLOCK.severity,
        optional: true,
        label: { type: 'plain_text', text: 'Severity' },
        hint: { type: 'plain_text', text: 'Unset: critical if public, high otherwise.' },
        element: { type: 'static_select', action_id: VALUE, options: SEVERITIES.map((s) => option(s)) },
      },
    ],
  };
}

export type ReportReading =
  | { input: IncidentInput; errors?: undefined; /** A GitHub token pasted to identify the leak: for the vault only. */ pastedToken?: string }
  | { errors: Partial<Record<BlockId, string>>; input?: undefined };

type Values = Record<string, Record<string, ViewStateValue>>;

/** Reads a submission. Anything that looks like a pasted secret is an error on its field and goes no further. */
export function readReport(values: Values, requestedBy: string): ReportReading {
  const field = (b: BlockId) => values[b]?.[VALUE];
  const text = (b: BlockId) => field(b)?.value?.trim() || undefined;
  const errors: Partial<Record<BlockId, string>> = {};
  const add = (b: BlockId, message: string) => {
    if (!errors[b]?.split('; ').includes(message)) errors[b] = errors[b] ? `${errors[b]}; ${message}` : message;
  };

  let credentialId = text(BLOCK.credential);
  const where = text(BLOCK.where);
  // A token has no public id: the pasted token is what identifies it. Its module recognises it; it goes to
  // the vault (the submission handler keeps it) and is named only by its hash from here on.
  const provider = field(BLOCK.provider)?.selected_option?.value;
  const pasted = provider && credentialId ? catalog.recognise({ scanner: 'pasted', kind: provider, raw: credentialId })?.recognition : undefined;
  const pastedToken = pasted && 'secret' in pasted && pasted.secret ? pasted.secret : undefined;
  if (pastedToken && pasted && 'credentialId' in pasted) credentialId = pasted.credentialId;
  for (const [b, v] of [[BLOCK.credential, credentialId], [BLOCK.where, where]] as const) {
    const secret = v && findSecret(v);
    if (secret) add(b, pastedSecretMessage(secret));
  }
  if (errors.credential || errors.where) return { errors };
  if (credentialId && /^https?:\/\//i.test(credentialId)) {
    add(BLOCK.credential, "reading the credential from an alert URL is not supported yet: give the access key id, and put the URL under 'Where it leaked'");
  }

  const exposure: Record<string, unknown> = { source: 'slack', public: (field(BLOCK.public)?.selected_options ?? []).some((o) => o.value === 'public') };
  if (where) {
    const repo = /^https?:\/\/github\.com\/([\w.-]+\/[\w.-]+?)(?:\.git)?(?:[/?#]|$)/i.exec(where);
    if (/^https?:\/\//i.test(where)) {
      exposure.url = where;
      if (repo) exposure.repository = repo[1];
    } else if (/^[\w.-]+\/[\w.-]+$/.test(where)) {
      exposure.repository = where;
    } else {
      add(BLOCK.where, 'give a URL (https://…) or a repository (owner/name)');
    }
  }
  const severity = field(BLOCK.severity)?.selected_option?.value;
  const input = {
    provider: field(BLOCK.provider)?.selected_option?.value,
    credentialId: credentialId ?? '',
    exposure,
    requestedBy,
    ...(severity ? { severity } : {}),
  };
  const parsed = catalog.IncidentInputSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const b = blockFor(issue.path);
      add(b.block, `${b.prefix}${issue.path[0] === 'credentialId' && !credentialId ? 'required' : issue.message}`);
    }
  }
  if (Object.keys(errors).length > 0) return { errors };
  return { input: input as IncidentInput, ...(pastedToken ? { pastedToken } : {}) };
}

/** The modal field a schema path belongs to; fields the person cannot edit are named on the first one. */
function blockFor(path: ReadonlyArray<PropertyKey>): { block: BlockId; prefix: string } {
  const [head, sub] = path;
  if (head === 'provider') return { block: BLOCK.provider, prefix: '' };
  if (head === 'credentialId') return { block: BLOCK.credential, prefix: '' };
  if (head === 'severity') return { block: BLOCK.severity, prefix: '' };
  if (head === 'exposure' && (sub === 'url' || sub === 'repository')) return { block: BLOCK.where, prefix: '' };
  if (head === 'exposure' && sub === 'public') return { block: BLOCK.public, prefix: '' };
  return { block: BLOCK.credential, prefix: `${path.map(String).join('.')}: ` };
}
