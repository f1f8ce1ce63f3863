import type { WebClient } from '@slack/web-api';

// Who may do what, from configuration: Slack user ids and user-group ids. Group members are read
// with usergroups.users.list and kept briefly, so a change in Slack takes effect within the TTL.

export type Role = 'report' | 'approve';

export interface AccessRules {
  /** `*`: anyone in the workspace. */
  reporters: '*' | string[];
  approvers: string[];
}

export class Access {
  private readonly groups = new Map<string, { members: Promise<Set<string>>; until: number }>();

  constructor(
    private readonly client: WebClient,
    private readonly rules: AccessRules,
    private readonly ttlMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Approvers may also report: whoever may end an incident may open one. */
  async allows(role: Role, userId: string): Promise<boolean> {
    if (role === 'report' && (this.rules.reporters === '*' || (await this.within(this.rules.reporters, userId)))) return true;
    return this.within(this.rules.approvers, userId);
  }

  private async within(principals: string[], userId: string): Promise<boolean> {
    if (principals.includes(userId)) return true;
    for (const p of principals.filter((x) => x.startsWith('S'))) {
      if ((await this.members(p)).has(userId)) return true;
    }
    return false;
  }

  private members(group: string): Promise<Set<string>> {
    const cached = this.groups.get(group);
    if (cached && cached.until > this.now()) return cached.members;
    const members = this.client.usergroups.users.list({ usergroup: group }).then((r) => new Set(r.users ?? []));
    this.groups.set(group, { members, until: this.now() + this.ttlMs });
    // A failed lookup is not cached: the next request asks Slack again.
    members.catch(() => {
      if (this.groups.get(group)?.members === members) this.groups.delete(group);
    });
    return members;
  }
}
