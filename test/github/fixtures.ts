// Builders for the objects the fake GitHub returns, shaped like GitHub's (the OpenAPI contract checks
// every one). URLs point at the fake itself: `api` is its base URL.

export interface Account {
  login: string;
  id: number;
  type?: 'User' | 'Organization' | 'Bot';
}

const EPOCH = '2024-01-01T00:00:00Z';

export function simpleUser(api: string, a: Account) {
  const u = `${api}/users/${a.login}`;
  return {
    login: a.login,
    id: a.id,
    node_id: `U_${a.id}`,
    avatar_url: `${api}/avatars/${a.login}`,
    gravatar_id: '',
    url: u,
    html_url: `${api}/${a.login}`,
    followers_url: `${u}/followers`,
    following_url: `${u}/following{/other_user}`,
    gists_url: `${u}/gists{/gist_id}`,
    starred_url: `${u}/starred{/owner}{/repo}`,
    subscriptions_url: `${u}/subscriptions`,
    organizations_url: `${u}/orgs`,
    repos_url: `${u}/repos`,
    events_url: `${u}/events{/privacy}`,
    received_events_url: `${u}/received_events`,
    type: a.type ?? 'User',
    site_admin: false,
    user_view_type: 'public',
  };
}

/** `GET /user` as the token's owner sees it (GitHub's `private-user`). */
export function privateUser(api: string, a: Account) {
  return {
    ...simpleUser(api, a),
    user_view_type: 'private',
    name: a.login,
    company: null,
    blog: '',
    location: null,
    email: null,
    hireable: null,
    bio: null,
    twitter_username: null,
    public_repos: 1,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: EPOCH,
    updated_at: EPOCH,
    private_gists: 0,
    total_private_repos: 0,
    owned_private_repos: 0,
    disk_usage: 0,
    collaborators: 0,
    two_factor_authentication: true,
  };
}

export function minimalRepository(api: string, owner: Account, name: string, id: number) {
  const full = `${owner.login}/${name}`;
  const u = `${api}/repos/${full}`;
  return {
    id,
    node_id: `R_${id}`,
    name,
    full_name: full,
    owner: simpleUser(api, owner),
    private: true,
    html_url: `${api}/${full}`,
    description: null,
    fork: false,
    url: u,
    archive_url: `${u}/{archive_format}{/ref}`,
    assignees_url: `${u}/assignees{/user}`,
    blobs_url: `${u}/git/blobs{/sha}`,
    branches_url: `${u}/branches{/branch}`,
    collaborators_url: `${u}/collaborators{/collaborator}`,
    comments_url: `${u}/comments{/number}`,
    commits_url: `${u}/commits{/sha}`,
    compare_url: `${u}/compare/{base}...{head}`,
    contents_url: `${u}/contents/{+path}`,
    contributors_url: `${u}/contributors`,
    deployments_url: `${u}/deployments`,
    downloads_url: `${u}/downloads`,
    events_url: `${u}/events`,
    forks_url: `${u}/forks`,
    git_commits_url: `${u}/git/commits{/sha}`,
    git_refs_url: `${u}/git/refs{/sha}`,
    git_tags_url: `${u}/git/tags{/sha}`,
    issue_comment_url: `${u}/issues/comments{/number}`,
    issue_events_url: `${u}/issues/events{/number}`,
    issues_url: `${u}/issues{/number}`,
    keys_url: `${u}/keys{/key_id}`,
    labels_url: `${u}/labels{/name}`,
    languages_url: `${u}/languages`,
    merges_url: `${u}/merges`,
    milestones_url: `${u}/milestones{/number}`,
    notifications_url: `${u}/notifications{?since,all,participating}`,
    pulls_url: `${u}/pulls{/number}`,
    releases_url: `${u}/releases{/id}`,
    stargazers_url: `${u}/stargazers`,
    statuses_url: `${u}/statuses/{sha}`,
    subscribers_url: `${u}/subscribers`,
    subscription_url: `${u}/subscription`,
    tags_url: `${u}/tags`,
    teams_url: `${u}/teams`,
    trees_url: `${u}/git/trees{/sha}`,
    hooks_url: `${u}/hooks`,
  };
}

export interface RunFixture {
  id: number;
  runNumber: number;
  workflowId: number;
  workflowPath: string;
  workflowName: string;
  displayTitle: string;
  headBranch: string;
  status: string;
  conclusion: string | null;
  createdAt: string;
  updatedAt: string;
}

export function workflowRun(api: string, owner: Account, repo: string, repoId: number, r: RunFixture) {
  const u = `${api}/repos/${owner.login}/${repo}/actions/runs/${r.id}`;
  const repository = minimalRepository(api, owner, repo, repoId);
  const sha = r.id.toString(16).padStart(40, '0');
  return {
    id: r.id,
    name: r.workflowName,
    node_id: `WFR_${r.id}`,
    head_branch: r.headBranch,
    head_sha: sha,
    path: r.workflowPath,
    display_title: r.displayTitle,
    run_number: r.runNumber,
    run_attempt: 1,
    event: 'workflow_dispatch',
    status: r.status,
    conclusion: r.conclusion,
    workflow_id: r.workflowId,
    url: u,
    html_url: `${api}/${owner.login}/${repo}/actions/runs/${r.id}`,
    pull_requests: [],
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    run_started_at: r.createdAt,
    jobs_url: `${u}/jobs`,
    logs_url: `${u}/logs`,
    check_suite_url: `${api}/repos/${owner.login}/${repo}/check-suites/${r.id}`,
    artifacts_url: `${u}/artifacts`,
    cancel_url: `${u}/cancel`,
    rerun_url: `${u}/rerun`,
    previous_attempt_url: null,
    workflow_url: `${api}/repos/${owner.login}/${repo}/actions/workflows/${r.workflowId}`,
    head_commit: {
      id: sha,
      tree_id: sha,
      message: 'deploy',
      timestamp: r.createdAt,
      author: { name: owner.login, email: `${owner.login}@example.com` },
      committer: { name: owner.login, email: `${owner.login}@example.com` },
    },
    repository,
    head_repository: repository,
  };
}

export interface IssueFixture {
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  labels: string[];
  comments: number;
  author: Account;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

export function issue(api: string, fullName: string, i: IssueFixture) {
  const u = `${api}/repos/${fullName}/issues/${i.number}`;
  return {
    id: i.id,
    node_id: `I_${i.id}`,
    url: u,
    repository_url: `${api}/repos/${fullName}`,
    labels_url: `${u}/labels{/name}`,
    comments_url: `${u}/comments`,
    events_url: `${u}/events`,
    html_url: `${api}/${fullName}/issues/${i.number}`,
    number: i.number,
    state: i.state,
    title: i.title,
    body: i.body,
    user: simpleUser(api, i.author),
    labels: i.labels.map((name, n) => ({
      id: n + 1,
      node_id: `LA_${n + 1}`,
      url: `${api}/repos/${fullName}/labels/${encodeURIComponent(name)}`,
      name,
      color: 'ededed',
      default: false,
      description: null,
    })),
    assignee: null,
    assignees: [],
    milestone: null,
    locked: false,
    active_lock_reason: null,
    comments: i.comments,
    closed_at: i.closedAt,
    created_at: i.createdAt,
    updated_at: i.updatedAt,
    author_association: 'OWNER',
  };
}

export function issueComment(api: string, fullName: string, issueNumber: number, c: { id: number; body: string; author: Account; at: string }) {
  return {
    id: c.id,
    node_id: `IC_${c.id}`,
    url: `${api}/repos/${fullName}/issues/comments/${c.id}`,
    html_url: `${api}/${fullName}/issues/${issueNumber}#issuecomment-${c.id}`,
    issue_url: `${api}/repos/${fullName}/issues/${issueNumber}`,
    body: c.body,
    user: simpleUser(api, c.author),
    created_at: c.at,
    updated_at: c.at,
    author_association: 'OWNER',
  };
}

export interface AlertFixture {
  number: number;
  secret: string;
  secretType: string;
  secretTypeDisplayName: string;
  state: 'open' | 'resolved';
  resolution: 'false_positive' | 'wont_fix' | 'revoked' | 'used_in_tests' | null;
  resolutionComment: string | null;
  resolvedBy: Account | null;
  resolvedAt: string | null;
  publiclyLeaked: boolean;
  createdAt: string;
  updatedAt: string | null;
  locations: CommitLocation[];
}

export interface CommitLocation {
  path: string;
  startLine: number;
  commitSha: string;
}

export function secretScanningAlert(api: string, fullName: string, a: AlertFixture) {
  const u = `${api}/repos/${fullName}/secret-scanning/alerts/${a.number}`;
  return {
    number: a.number,
    created_at: a.createdAt,
    updated_at: a.updatedAt,
    url: u,
    html_url: `${api}/${fullName}/security/secret-scanning/${a.number}`,
    locations_url: `${u}/locations`,
    state: a.state,
    resolution: a.resolution,
    resolved_at: a.resolvedAt,
    resolved_by: a.resolvedBy ? simpleUser(api, a.resolvedBy) : null,
    resolution_comment: a.resolutionComment,
    secret_type: a.secretType,
    secret_type_display_name: a.secretTypeDisplayName,
    secret: a.secret,
    push_protection_bypassed: false,
    push_protection_bypassed_by: null,
    push_protection_bypassed_at: null,
    validity: 'unknown',
    publicly_leaked: a.publiclyLeaked,
    multi_repo: false,
    has_more_locations: a.locations.length > 1,
  };
}

export function commitLocation(api: string, fullName: string, l: CommitLocation) {
  const blobSha = l.commitSha.split('').reverse().join('');
  return {
    type: 'commit',
    details: {
      path: l.path,
      start_line: l.startLine,
      end_line: l.startLine,
      start_column: 1,
      end_column: 41,
      blob_sha: blobSha,
      blob_url: `${api}/repos/${fullName}/git/blobs/${blobSha}`,
      commit_sha: l.commitSha,
      commit_url: `${api}/repos/${fullName}/git/commits/${l.commitSha}`,
    },
  };
}

/** A fine-grained token granted access to an organization (what its owners see in Settings → Personal access tokens). */
export interface PatGrantFixture {
  /** The grant's id (`pat_id`). */
  id: number;
  owner: Account;
  /** The token's own id, the same in every organization it is granted to. */
  tokenId: number;
  tokenName: string;
  grantedAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

/** `organization-programmatic-access-grant`; whether the token has expired is GitHub's view now. */
export function patGrant(api: string, org: string, g: PatGrantFixture) {
  return {
    id: g.id,
    owner: simpleUser(api, g.owner),
    repository_selection: 'all' as const,
    repositories_url: `${api}/orgs/${org}/personal-access-tokens/${g.id}/repositories`,
    permissions: { organization: {}, repository: { contents: 'read', metadata: 'read' }, other: {} },
    access_granted_at: g.grantedAt,
    token_id: g.tokenId,
    token_name: g.tokenName,
    token_expired: g.expiresAt !== null && Date.parse(g.expiresAt) <= Date.now(),
    token_expires_at: g.expiresAt,
    token_last_used_at: g.lastUsedAt,
  };
}

/** A credential a member authorized for an organization that uses SAML single sign-on. */
export interface SsoAuthorizationFixture {
  credentialId: number;
  login: string;
  type: 'personal access token' | 'SSH key' | 'OAuth app token' | 'GitHub app token';
  /** A token's value (GitHub shows its last eight characters) or, for an SSH key, its fingerprint. */
  credential: string;
  /** The underlying token's or key's id, unchanged across authorizations. */
  authorizedCredentialId: number;
  note: string;
  scopes: string[];
  authorizedAt: string;
  accessedAt: string | null;
  expiresAt: string | null;
}

/** `credential-authorization` (GitHub Enterprise Cloud): token fields for tokens, key fields for SSH keys. */
export function credentialAuthorization(a: SsoAuthorizationFixture) {
  const common = {
    login: a.login,
    credential_id: a.credentialId,
    credential_type: a.type,
    credential_authorized_at: a.authorizedAt,
    scopes: a.scopes,
    credential_accessed_at: a.accessedAt,
    authorized_credential_id: a.authorizedCredentialId,
  };
  if (a.type === 'SSH key') return { ...common, fingerprint: a.credential, authorized_credential_title: a.note, authorized_credential_note: null, authorized_credential_expires_at: null };
  return { ...common, token_last_eight: a.credential.slice(-8), authorized_credential_title: null, authorized_credential_note: a.note, authorized_credential_expires_at: a.expiresAt };
}
