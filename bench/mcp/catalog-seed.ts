// A synthetic catalog for one org: 20 servers named after real SaaS APIs, 500 tools each, with names,
// titles, descriptions, input schemas and annotations varied the way real servers vary them. Seeded, so
// every run searches the same 10,000 tools.
import type { Db } from '../../core/db/knex.js';
import { McpCatalogRepository } from '../../core/db/mcp-catalog.repository.js';
import { McpServerRepository } from '../../core/db/mcp-server.repository.js';
import type { ToolDefinition } from '../../core/mcp/client-pool.js';

const SERVERS: [string, string[]][] = [
  [
    'github',
    [
      'repository',
      'issue',
      'pull_request',
      'branch',
      'commit',
      'release',
      'workflow_run',
      'gist',
      'label',
      'milestone',
    ],
  ],
  ['jira', ['issue', 'project', 'sprint', 'board', 'epic', 'comment', 'worklog', 'version', 'component', 'filter']],
  ['slack', ['channel', 'message', 'user', 'reaction', 'file', 'reminder', 'thread', 'usergroup', 'bookmark', 'emoji']],
  [
    'stripe',
    [
      'customer',
      'invoice',
      'charge',
      'refund',
      'subscription',
      'payment_intent',
      'product',
      'price',
      'coupon',
      'payout',
    ],
  ],
  [
    'salesforce',
    ['account', 'contact', 'lead', 'opportunity', 'case', 'campaign', 'task', 'report', 'dashboard', 'quote'],
  ],
  ['postgres', ['table', 'row', 'index', 'schema', 'view', 'query', 'role', 'extension', 'sequence', 'trigger']],
  [
    's3',
    [
      'bucket',
      'object',
      'multipart_upload',
      'policy',
      'lifecycle_rule',
      'tag',
      'version',
      'acl',
      'inventory',
      'presigned_url',
    ],
  ],
  [
    'kubernetes',
    ['pod', 'deployment', 'service', 'namespace', 'config_map', 'secret', 'job', 'node', 'ingress', 'volume'],
  ],
  [
    'google-drive',
    ['file', 'folder', 'permission', 'comment', 'revision', 'drive', 'shortcut', 'label', 'export', 'upload'],
  ],
  [
    'gmail',
    [
      'message',
      'thread',
      'draft',
      'label',
      'attachment',
      'filter',
      'alias',
      'signature',
      'contact',
      'vacation_setting',
    ],
  ],
  [
    'zendesk',
    [
      'ticket',
      'user',
      'organization',
      'macro',
      'view',
      'trigger',
      'article',
      'group',
      'sla_policy',
      'satisfaction_rating',
    ],
  ],
  [
    'hubspot',
    ['contact', 'company', 'deal', 'pipeline', 'email_campaign', 'form', 'list', 'workflow', 'note', 'meeting'],
  ],
  ['notion', ['page', 'database', 'block', 'comment', 'user', 'template', 'property', 'view', 'workspace', 'link']],
  [
    'linear',
    ['issue', 'project', 'cycle', 'team', 'label', 'comment', 'roadmap', 'initiative', 'attachment', 'workflow_state'],
  ],
  [
    'datadog',
    ['monitor', 'dashboard', 'metric', 'log', 'incident', 'slo', 'synthetic_test', 'event', 'host', 'notebook'],
  ],
  [
    'pagerduty',
    [
      'incident',
      'service',
      'schedule',
      'escalation_policy',
      'on_call',
      'alert',
      'user',
      'team',
      'maintenance_window',
      'priority',
    ],
  ],
  [
    'shopify',
    [
      'order',
      'product',
      'inventory_item',
      'customer',
      'fulfillment',
      'discount',
      'collection',
      'gift_card',
      'refund',
      'location',
    ],
  ],
  [
    'twilio',
    [
      'message',
      'call',
      'phone_number',
      'conversation',
      'recording',
      'verification',
      'queue',
      'conference',
      'fax',
      'webhook',
    ],
  ],
  [
    'confluence',
    ['page', 'space', 'blog_post', 'attachment', 'comment', 'label', 'template', 'restriction', 'macro', 'version'],
  ],
  ['snowflake', ['warehouse', 'database', 'table', 'stage', 'pipe', 'task', 'stream', 'role', 'query', 'share']],
];

type Hints = Record<string, boolean>;
const VERBS: [string, string, Hints][] = [
  ['get', 'Gets', { readOnlyHint: true }],
  ['list', 'Lists', { readOnlyHint: true }],
  ['search', 'Searches', { readOnlyHint: true, openWorldHint: true }],
  ['describe', 'Describes', { readOnlyHint: true }],
  ['count', 'Counts', { readOnlyHint: true }],
  ['export', 'Exports', { readOnlyHint: true, openWorldHint: true }],
  ['create', 'Creates', {}],
  ['update', 'Updates', { idempotentHint: true }],
  ['set', 'Sets', { idempotentHint: true }],
  ['sync', 'Synchronises', { idempotentHint: true, openWorldHint: true }],
  ['archive', 'Archives', { destructiveHint: true, idempotentHint: true }],
  ['delete', 'Deletes', { destructiveHint: true }],
  ['purge', 'Permanently purges', { destructiveHint: true }],
  ['restore', 'Restores', { idempotentHint: true }],
  ['import', 'Imports', { openWorldHint: true }],
  ['send', 'Sends', { openWorldHint: true }],
];
const QUALIFIERS: [string, string][] = [
  ['', ''],
  ['by_id', 'by its id'],
  ['batch', 'in batches of up to 100'],
  ['recent', 'changed in the last 24 hours'],
  ['by_owner', 'owned by a given user'],
  ['all', 'across every workspace the token can see'],
  ['draft', 'that are still drafts'],
  ['bulk', 'in bulk from a CSV payload'],
  ['v2', 'through the v2 endpoint'],
];
const EXTRAS = [
  'Returns at most `limit` results per page; pass the cursor to continue.',
  'Requires a token with write scope.',
  'Useful for audits, reporting and reconciliation jobs.',
  'Fails with not_found if the item does not exist.',
  'Rate limited to 10 requests per second per workspace.',
  'The result includes timestamps in UTC (ISO 8601).',
  'Only administrators may call this on shared resources.',
  'Times out after 30 seconds; retry with a smaller page.',
];

/** Small deterministic PRNG (mulberry32), so every run builds the same catalog. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const words = (snake: string) => snake.replace(/_/g, ' ');
const camel = (snake: string) => snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const titleCase = (s: string) => s.replace(/\b[a-z]/g, (c) => c.toUpperCase());

/** `perServer` tool definitions of one themed server (every third server names its tools in camelCase). */
export function syntheticTools(serverIndex: number, perServer: number): ToolDefinition[] {
  const [service, nouns] = SERVERS[serverIndex % SERVERS.length]!;
  const rand = prng(1000 + serverIndex);
  const combos = VERBS.flatMap((v) => nouns.flatMap((n) => QUALIFIERS.map((q) => [v, n, q] as const)));
  for (let i = combos.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [combos[i], combos[j]] = [combos[j]!, combos[i]!];
  }
  if (combos.length < perServer) throw new Error(`at most ${combos.length} distinct tools per server`);
  return combos.slice(0, perServer).map(([[verb, verbText, hints], noun, [qual, qualText]]) => {
    const snake = [verb, noun, qual].filter(Boolean).join('_');
    const name = serverIndex % 3 === 2 ? camel(snake) : snake;
    const extra = EXTRAS[Math.floor(rand() * EXTRAS.length)]!;
    const properties: Record<string, unknown> = {
      [verb === 'list' || verb === 'search' || verb === 'count' ? 'filter' : 'id']: {
        type: 'string',
        description: `The ${words(noun)} ${verb === 'list' ? 'filter' : 'id'}`,
      },
      ...(verb === 'list' || verb === 'search'
        ? { limit: { type: 'integer', minimum: 1, maximum: 100 }, cursor: { type: 'string' } }
        : {}),
      ...(verb === 'create' || verb === 'update' || verb === 'set'
        ? { fields: { type: 'object', additionalProperties: true } }
        : {}),
    };
    return {
      name,
      ...(rand() < 0.66 ? { title: titleCase(`${verb} ${words(noun)} ${words(qual)}`.trim()) } : {}),
      description:
        `${verbText} ${words(noun)}s ${qualText} in ${titleCase(service.replace('-', ' '))}. ${extra}`.replace(
          / {2,}/g,
          ' ',
        ),
      inputSchema: { type: 'object', properties, required: [Object.keys(properties)[0]!] },
      ...(rand() < 0.85 ? { annotations: { ...hints } } : {}),
    };
  });
}

/** Names of the servers `seedCatalog` creates, in order. */
export const serverName = (i: number) =>
  `${SERVERS[i % SERVERS.length]![0]}${i < SERVERS.length ? '' : `-${Math.floor(i / SERVERS.length)}`}`;

/**
 * Creates `servers` HTTP MCP server rows for the org straight through the repository (no lifecycle
 * workflow, which would probe them and replace the catalog with what they really serve) and fills each
 * one's catalog with replaceCatalog, as a catalog refresh does. Returns the number of tools written.
 */
export async function seedCatalog(db: Db, orgId: string, servers: number, perServer: number): Promise<number> {
  const repo = new McpServerRepository(db);
  const catalog = new McpCatalogRepository(db);
  let total = 0;
  for (let i = 0; i < servers; i++) {
    const server = await repo.create({
      org_id: orgId,
      name: serverName(i),
      transport: 'http',
      command: null,
      args: [],
      env: {},
      url: `http://127.0.0.1:9/${serverName(i)}/mcp`,
      headers: {},
    });
    const tools = syntheticTools(i, perServer);
    await catalog.replaceCatalog(server, tools);
    total += tools.length;
  }
  return total;
}
