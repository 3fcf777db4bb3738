/**
 * Jira's tools on its REST API v3: each call one or two requests, each answer the vendor's data trimmed to
 * what an agent acts on (keys, ids, summary, status, people, links). Shapes are those of Jira's description.
 */
import type { IntegrationHandlers, ToolContext } from '../server/handler.js';
import type { ToolOutput } from '../server/tool-output.js';
import { VendorError } from '../server/vendor-error.js';
import {
  atlassianSecrets,
  connectAtlassian,
  obj,
  str,
  type AtlassianClient,
  type Obj,
} from '../atlassian/atlassian.js';
import { adfToText, textToAdf } from './adf.js';
import { jiraSpec } from './jira.spec.js';

type Ctx = ToolContext<AtlassianClient>;
const VENDOR = 'Jira';
// What an issue's answer shows; search_issues asks for these plus those the caller names.
const ISSUE_FIELDS = [
  'summary',
  'status',
  'assignee',
  'issuetype',
  'labels',
  'project',
  'priority',
  'created',
  'updated',
];

const path = (key: unknown) => `/rest/api/3/issue/${encodeURIComponent(String(key))}`;

function person(v: unknown): Obj | null {
  const p = obj(v);
  if (Object.keys(p).length === 0) return null;
  return { accountId: str(p.accountId), displayName: str(p.displayName) };
}

/** One issue as an answer shows it. */
function issueView(issue: Obj, site: string): Obj {
  const f = obj(issue.fields);
  const status = obj(f.status);
  return {
    key: str(issue.key),
    id: str(issue.id),
    summary: str(f.summary),
    status: str(status.name),
    statusCategory: str(obj(status.statusCategory).key),
    assignee: person(f.assignee),
    issueType: str(obj(f.issuetype).name),
    project: str(obj(f.project).key),
    labels: Array.isArray(f.labels) ? f.labels.filter((l) => typeof l === 'string') : [],
    priority: str(obj(f.priority).name),
    created: str(f.created),
    updated: str(f.updated),
    url: issue.key ? `${site}/browse/${String(issue.key)}` : null,
  };
}

async function transitionsOf({ client, signal }: Ctx, key: unknown): Promise<Obj[]> {
  const res = await client.http.request<Obj>({ path: `${path(key)}/transitions`, signal });
  return Array.isArray(res.transitions) ? res.transitions.map(obj) : [];
}

const transitionView = (t: Obj) => ({
  id: str(t.id),
  name: str(t.name),
  to: { id: str(obj(t.to).id), name: str(obj(t.to).name), category: str(obj(obj(t.to).statusCategory).key) },
});

const tools: IntegrationHandlers<AtlassianClient>['tools'] = {
  async create_issue(args, { client, signal }): Promise<ToolOutput> {
    const fields: Obj = {
      project: { key: String(args.projectKey).toUpperCase() },
      issuetype: { name: args.issueType },
      summary: args.summary,
    };
    if (typeof args.description === 'string' && args.description !== '')
      fields.description = textToAdf(args.description);
    if (Array.isArray(args.labels)) fields.labels = args.labels;
    const created = await client.http.request<Obj>({
      method: 'POST',
      path: '/rest/api/3/issue',
      json: { fields },
      signal,
    });
    return { key: str(created.key), id: str(created.id), url: `${client.site}/browse/${String(created.key)}` };
  },

  async get_issue(args, { client, signal }) {
    const issue = await client.http.request<Obj>({
      path: path(args.issueKey),
      query: { fields: [...ISSUE_FIELDS, 'description', 'comment', 'reporter', 'resolution'].join(',') },
      signal,
    });
    const f = obj(issue.fields);
    const comments = obj(f.comment);
    return {
      ...issueView(issue, client.site),
      reporter: person(f.reporter),
      resolution: str(obj(f.resolution).name),
      description: adfToText(f.description),
      comments:
        typeof comments.total === 'number'
          ? comments.total
          : Array.isArray(comments.comments)
            ? comments.comments.length
            : 0,
    };
  },

  async search_issues(args, { client, signal }) {
    const extra = Array.isArray(args.fields) ? args.fields.filter((f): f is string => typeof f === 'string') : [];
    const res = await client.http.request<Obj>({
      method: 'POST',
      path: '/rest/api/3/search',
      json: {
        jql: args.jql,
        startAt: args.startAt ?? 0,
        maxResults: args.maxResults ?? 20,
        fields: [...new Set([...ISSUE_FIELDS, ...extra])],
      },
      signal,
    });
    const issues = Array.isArray(res.issues) ? res.issues.map(obj) : [];
    return {
      total: typeof res.total === 'number' ? res.total : issues.length,
      startAt: typeof res.startAt === 'number' ? res.startAt : 0,
      maxResults: typeof res.maxResults === 'number' ? res.maxResults : issues.length,
      issues: issues.map((issue) => {
        const view = issueView(issue, client.site);
        if (extra.length === 0) return view;
        const f = obj(issue.fields);
        return { ...view, fields: Object.fromEntries(extra.map((name) => [name, f[name] ?? null])) };
      }),
    };
  },

  async update_issue(args, { client, signal }) {
    const fields: Obj = {};
    if (typeof args.summary === 'string') fields.summary = args.summary;
    if (typeof args.description === 'string')
      fields.description = args.description === '' ? null : textToAdf(args.description);
    if (Array.isArray(args.labels)) fields.labels = args.labels;
    const ops = [
      ...(Array.isArray(args.addLabels) ? args.addLabels.map((add: unknown) => ({ add })) : []),
      ...(Array.isArray(args.removeLabels) ? args.removeLabels.map((remove: unknown) => ({ remove })) : []),
    ];
    if (ops.length > 0 && fields.labels)
      throw new VendorError(VENDOR, 400, 'invalid_input', 'give labels, or addLabels/removeLabels, not both');
    const changed = [...Object.keys(fields), ...(ops.length ? ['labels'] : [])];
    if (changed.length === 0) throw new VendorError(VENDOR, 400, 'invalid_input', 'nothing to change was given');
    await client.http.request({
      method: 'PUT',
      path: path(args.issueKey),
      json: { fields, ...(ops.length ? { update: { labels: ops } } : {}) },
      signal,
    });
    return { key: args.issueKey, updated: changed, url: `${client.site}/browse/${String(args.issueKey)}` };
  },

  async transition_issue(args, ctx) {
    const wanted = String(args.transition).trim().toLowerCase();
    const all = await transitionsOf(ctx, args.issueKey);
    const t =
      all.find((x) => str(x.id) === wanted) ??
      all.find((x) => str(x.name)?.toLowerCase() === wanted) ??
      all.find((x) => str(obj(x.to).name)?.toLowerCase() === wanted);
    if (!t) {
      const names = all.map((x) => `${str(x.name)} (${str(x.id)})`).join(', ') || 'none';
      throw new VendorError(
        VENDOR,
        400,
        'invalid_transition',
        `no transition "${String(args.transition)}" now; available: ${names}`,
      );
    }
    await ctx.client.http.request({
      method: 'POST',
      path: `${path(args.issueKey)}/transitions`,
      json: { transition: { id: str(t.id) } },
      signal: ctx.signal,
    });
    return { key: args.issueKey, transition: { id: str(t.id), name: str(t.name) }, status: str(obj(t.to).name) };
  },

  async add_comment(args, { client, signal }) {
    const comment = await client.http.request<Obj>({
      method: 'POST',
      path: `${path(args.issueKey)}/comment`,
      json: { body: textToAdf(String(args.body)) },
      signal,
    });
    const id = str(comment.id);
    return {
      id,
      issueKey: args.issueKey,
      created: str(comment.created),
      url: `${client.site}/browse/${String(args.issueKey)}?focusedCommentId=${id ?? ''}`,
    };
  },

  async assign_issue(args, { client, signal }) {
    const accountId = typeof args.accountId === 'string' ? args.accountId : null;
    // The assignee operation's body is a User, whose accountId is a string: unassigning is an edit of the field.
    if (accountId === null)
      await client.http.request({
        method: 'PUT',
        path: path(args.issueKey),
        json: { fields: { assignee: null } },
        signal,
      });
    else
      await client.http.request({
        method: 'PUT',
        path: `${path(args.issueKey)}/assignee`,
        json: { accountId },
        signal,
      });
    return { key: args.issueKey, assignee: accountId };
  },

  async list_projects(args, { client, signal }) {
    const res = await client.http.request<Obj>({
      path: '/rest/api/3/project/search',
      query: {
        query: typeof args.query === 'string' && args.query !== '' ? args.query : undefined,
        maxResults: (args.maxResults as number | undefined) ?? 50,
        startAt: (args.startAt as number | undefined) ?? 0,
      },
      signal,
    });
    const values = Array.isArray(res.values) ? res.values.map(obj) : [];
    return {
      total: typeof res.total === 'number' ? res.total : values.length,
      isLast: res.isLast !== false,
      projects: values.map((p) => ({
        id: str(p.id),
        key: str(p.key),
        name: str(p.name),
        projectTypeKey: str(p.projectTypeKey),
        url: p.key ? `${client.site}/browse/${String(p.key)}` : null,
      })),
    };
  },

  async list_transitions(args, ctx) {
    return { issueKey: args.issueKey, transitions: (await transitionsOf(ctx, args.issueKey)).map(transitionView) };
  },
};

export const handlers: IntegrationHandlers<AtlassianClient> = {
  spec: jiraSpec,
  connect: (settings, credential) => connectAtlassian(VENDOR, settings, credential),
  secretsOf: atlassianSecrets,
  tools,
};
