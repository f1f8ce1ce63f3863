import { createHash } from 'node:crypto';
import { redactGitHubTokens } from './token-format';
import type { PostMortemSink } from '../types';
import { createGitHubClient, type GitHubClient, type GitHubClientOptions } from './client';
import { permanentFor } from './permanent-errors';
import { repoParts } from './specs';

export interface GitHubIssueSinkConfig extends GitHubClientOptions {
  /** `owner/repo` where post-mortems are filed. */
  repository: string;
  /** Added to every post-mortem issue, besides `leakstop`, `post-mortem` and the incident's own label. */
  labels?: string[];
}

/** GitHub refuses issue bodies longer than this. */
const MAX_BODY = 65_536;
/** GitHub refuses label names longer than this. */
const MAX_LABEL = 50;

/**
 * Post-mortems as GitHub issues, one per incident. The issue carries the label `leakstop:<incident>`,
 * which is how a rewrite (a retried activity, a later report) finds it: the body is replaced and a
 * comment notes the update, instead of a second issue being opened.
 */
export class GitHubIssueSink implements PostMortemSink {
  private readonly client: GitHubClient;

  constructor(private readonly cfg: GitHubIssueSinkConfig) {
    this.client = createGitHubClient(cfg);
  }

  async open(incidentId: string, markdown: string): Promise<{ url: string }> {
    const { owner, repo } = repoParts(this.cfg.repository);
    const label = incidentLabel(incidentId);
    const body = fitBody(redactGitHubTokens(markdown));
    try {
      const found = await this.client.rest.issues.listForRepo({ owner, repo, labels: label, state: 'all', per_page: 10 });
      const existing = found.data.find((i) => !i.pull_request);
      if (existing) {
        if (existing.body !== body) {
          await this.client.rest.issues.update({ owner, repo, issue_number: existing.number, body });
          await this.client.rest.issues.createComment({ owner, repo, issue_number: existing.number, body: 'Leakstop updated this post-mortem.' });
        }
        return { url: existing.html_url };
      }
      const created = await this.client.rest.issues.create({
        owner,
        repo,
        title: `Post-mortem: leaked credential, incident ${incidentId}`,
        body,
        labels: [...new Set(['leakstop', 'post-mortem', label, ...(this.cfg.labels ?? [])])],
      });
      return { url: created.data.html_url };
    } catch (err) {
      throw permanentFor(err, `post-mortem issue in ${this.cfg.repository}`) ?? err;
    }
  }
}

/** `leakstop:<incident id>`, or a hash of it when the id would make the label too long for GitHub. */
export function incidentLabel(incidentId: string): string {
  const label = `leakstop:${incidentId}`;
  return label.length <= MAX_LABEL ? label : `leakstop:${createHash('sha256').update(incidentId).digest('hex').slice(0, 32)}`;
}

function fitBody(markdown: string): string {
  if (markdown.length <= MAX_BODY) return markdown;
  const note = '\n\n…truncated: the report is longer than a GitHub issue allows; the full Markdown report has everything.';
  return markdown.slice(0, MAX_BODY - note.length) + note;
}
