import { requireCredential } from '../server/credential.js';
import type { IntegrationHandlers, IntegrationSettings, ToolHandler } from '../server/handler.js';
import { GithubApi, repoPath } from './github-api.js';
import { GITHUB_API_URL, githubSpec } from './github.spec.js';
import { comment, contents, fileCommit, issue, obj, pull } from './github-views.js';

type Args = Record<string, unknown>;
type Query = Record<string, string | number | boolean | undefined>;

const listOf = (v: unknown): Array<Record<string, unknown>> => (Array.isArray(v) ? v.map(obj) : []);
const joined = (v: unknown) => (Array.isArray(v) && v.length > 0 ? v.join(',') : undefined);
// Undefined fields are left out of a query (VendorHttp) and of a JSON body (JSON.stringify) alike.
const pick = (args: Args, names: string[]) => Object.fromEntries(names.map((n) => [n, args[n]])) as Query;
const page = (args: Args) => ({
  page: (args.page as number | undefined) ?? 1,
  per_page: (args.per_page as number | undefined) ?? 30,
});

/**
 * The contents path as GitHub takes it: its segments percent-encoded, slashes kept (GitHub does not find
 * `docs%2FREADME.md` with every token). The description's `{path}` is one `x-multi-segment` parameter,
 * which neither Prism nor the emulator routes across slashes: in a sandbox the path is one segment.
 */
function contentsPath(args: Args, settings: IntegrationSettings): string {
  const path = (args.path as string).replace(/^\/+|\/+$/g, '');
  const encoded = settings.sandbox ? encodeURIComponent(path) : path.split('/').map(encodeURIComponent).join('/');
  return `${repoPath(args)}/contents/${encoded}`;
}

const tools: Record<string, ToolHandler<GithubApi>> = {
  list_issues: async (args, { client, signal }) => {
    const query = { ...pick(args, ['state', 'assignee', 'since', 'sort', 'direction']), labels: joined(args.labels) };
    const body = await client.request({ path: `${repoPath(args)}/issues`, query: { ...query, ...page(args) }, signal });
    return { issues: listOf(body).map((i) => issue(i)), ...page(args) };
  },

  get_issue: async (args, { client, signal }) =>
    issue(obj(await client.request({ path: `${repoPath(args)}/issues/${args.issue_number as number}`, signal })), true),

  create_issue: async (args, { client, signal }) => {
    const json = pick(args, ['title', 'body', 'labels', 'assignees']);
    return issue(obj(await client.request({ method: 'POST', path: `${repoPath(args)}/issues`, json, signal })), true);
  },

  comment_on_issue: async (args, { client, signal }) =>
    comment(
      obj(
        await client.request({
          method: 'POST',
          path: `${repoPath(args)}/issues/${args.issue_number as number}/comments`,
          json: { body: args.body },
          signal,
        }),
      ),
    ),

  list_issue_comments: async (args, { client, signal }) => {
    const path = `${repoPath(args)}/issues/${args.issue_number as number}/comments`;
    const body = await client.request({ path, query: page(args), signal });
    return { comments: listOf(body).map(comment), ...page(args) };
  },

  list_pull_requests: async (args, { client, signal }) => {
    const query = pick(args, ['state', 'base', 'head', 'sort', 'direction']);
    const body = await client.request({ path: `${repoPath(args)}/pulls`, query: { ...query, ...page(args) }, signal });
    return { pull_requests: listOf(body).map((p) => pull(p)), ...page(args) };
  },

  get_pull_request: async (args, { client, signal }) =>
    pull(obj(await client.request({ path: `${repoPath(args)}/pulls/${args.pull_number as number}`, signal })), true),

  create_pull_request: async (args, { client, signal }) => {
    const json = pick(args, ['title', 'head', 'base', 'body', 'draft']);
    return pull(obj(await client.request({ method: 'POST', path: `${repoPath(args)}/pulls`, json, signal })), true);
  },

  get_file_contents: async (args, { client, settings, signal }) =>
    contents(await client.request({ path: contentsPath(args, settings), query: pick(args, ['ref']), signal })),

  create_or_update_file: async (args, { client, settings, signal }) => {
    const json = {
      message: args.message,
      content: Buffer.from(args.content as string, 'utf8').toString('base64'),
      ...(args.sha !== undefined ? { sha: args.sha } : {}),
      ...(args.branch !== undefined ? { branch: args.branch } : {}),
    };
    return fileCommit(obj(await client.request({ method: 'PUT', path: contentsPath(args, settings), json, signal })));
  },
};

/** GitHub's handlers: a REST client with the token, one handler per tool. */
export const githubHandlers: IntegrationHandlers<GithubApi> = {
  spec: githubSpec,
  connect: (settings, credential) =>
    new GithubApi({
      baseUrl: settings.endpoints.api ?? GITHUB_API_URL,
      token: requireCredential('GitHub', credential).trim(),
    }),
  secretsOf: (credential) => [credential.trim()],
  tools,
};

export default githubHandlers;
