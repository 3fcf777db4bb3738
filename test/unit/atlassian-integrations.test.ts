import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  atlassianEndpoints,
  atlassianSecrets,
  readAtlassianError,
} from '../../core/integrations/atlassian/atlassian.js';
import { plainToStorage } from '../../core/integrations/confluence/confluence.handlers.js';
import { CONFLUENCE_OPENAPI, confluenceSpec } from '../../core/integrations/confluence/confluence.spec.js';
import { adfToText, textToAdf } from '../../core/integrations/jira/adf.js';
import { JIRA_OPENAPI, jiraSpec } from '../../core/integrations/jira/jira.spec.js';
import { SANDBOX_ONLY_BASE_URL } from '../../core/integrations/integration.js';
import { VendorError } from '../../core/integrations/server/vendor-error.js';
import { VendorHttp } from '../../core/integrations/server/vendor-http.js';
import { loadBehaviours } from '../../core/sandboxes/emulator/behaviours/index.js';
import { inferResources } from '../../core/sandboxes/emulator/inference.js';
import { parseSpec, SpecError } from '../../core/sandboxes/emulator/openapi.js';
import type { ResourceRows } from '../../core/sandboxes/emulator/rows.js';
import { parseSpecDocument } from '../../core/sandboxes/targets/spec-document.js';

describe('Atlassian errors as tool errors', () => {
  let server: Server;
  let http: VendorHttp;
  const answers: Record<string, { status: number; body: string; headers?: Record<string, string> }> = {
    '/401': {
      status: 401,
      body: JSON.stringify({ errorMessages: ['You are not authenticated.'], errors: {} }),
    },
    '/401-text': { status: 401, body: 'Client must be authenticated to access this resource.' },
    '/403': {
      status: 403,
      body: JSON.stringify({ errorMessages: ['You do not have permission to edit issues.'], errors: {} }),
    },
    '/404': {
      status: 404,
      body: JSON.stringify({
        statusCode: 404,
        data: { authorized: true, valid: false, errors: [], successful: false },
        message: 'No content found with id: ContentId{id=1}',
      }),
    },
    '/409': {
      status: 409,
      body: JSON.stringify({
        statusCode: 409,
        message: 'Version must be incremented on update. Current version is: 3',
      }),
    },
    '/400': {
      status: 400,
      body: JSON.stringify({ errorMessages: [], errors: { summary: 'You must specify a summary of the issue.' } }),
    },
    '/429': { status: 429, body: JSON.stringify({ message: 'Rate limit exceeded' }), headers: { 'retry-after': '17' } },
    '/503': { status: 503, body: '<html>Service Unavailable</html>' },
    '/gateway': { status: 401, body: JSON.stringify({ code: 401, message: 'Unauthorized; scope does not match' }) },
  };
  beforeAll(async () => {
    server = createServer((req, res) => {
      const a = answers[req.url ?? ''] ?? { status: 500, body: '' };
      res.writeHead(a.status, {
        'content-type': a.body.startsWith('{') ? 'application/json' : 'text/plain',
        ...a.headers,
      });
      res.end(a.body);
    }).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    http = new VendorHttp({
      vendor: 'Jira',
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      headers: {},
      readError: readAtlassianError,
    });
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const failure = async (path: string) => {
    const err = await http.request({ path }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VendorError);
    const e = err as VendorError;
    return { status: e.status, code: e.code, message: e.message, retryAfterSeconds: e.retryAfterSeconds };
  };

  it('maps each status with Atlassian’s own words: Jira’s errorMessages and errors, Confluence’s message', async () => {
    expect(await failure('/401')).toEqual({
      status: 401,
      code: 'unauthorized',
      message: 'Jira rejected the credentials (401): check the secret this server is given: You are not authenticated.',
      retryAfterSeconds: undefined,
    });
    expect(await failure('/401-text')).toMatchObject({
      status: 401,
      code: 'unauthorized',
      message: expect.stringMatching(/\(401\).*: Client must be authenticated to access this resource\.$/),
    });
    expect(await failure('/403')).toMatchObject({
      status: 403,
      code: 'forbidden',
      message: expect.stringMatching(/\(403\).*permission to edit issues/),
    });
    expect(await failure('/404')).toMatchObject({
      status: 404,
      code: 'not_found',
      message: expect.stringMatching(/\(404\): No content found/),
    });
    expect(await failure('/409')).toMatchObject({
      status: 409,
      code: 'conflict',
      message: expect.stringMatching(/\(409\): Version must be incremented/),
    });
    expect(await failure('/400')).toMatchObject({
      status: 400,
      code: 'bad_request',
      message: 'Jira refused the request (400): summary: You must specify a summary of the issue.',
    });
    expect(await failure('/429')).toEqual({
      status: 429,
      code: 'rate_limited',
      message: 'Jira rate-limited the request (429): retry after 17 s: Rate limit exceeded',
      retryAfterSeconds: 17,
    });
    expect(await failure('/503')).toMatchObject({
      status: 503,
      code: 'vendor_unavailable',
      message: expect.stringMatching(/\(503\): try again later/),
    });
    expect(await failure('/gateway')).toMatchObject({
      status: 401,
      code: 'unauthorized',
      message: expect.stringMatching(/scope does not match/),
    });
  });

  it('reads a string code when the body has one, and nothing from a body that is not an object', () => {
    expect(readAtlassianError({ errorCode: 'CONTENT_LIMIT', message: 'Too big' }, 400, new Headers())).toEqual({
      code: 'CONTENT_LIMIT',
      message: 'Too big',
    });
    expect(readAtlassianError(['x'], 500, new Headers())).toEqual({});
    expect(readAtlassianError({ error: { code: 'not_found', message: 'gone' } }, 404, new Headers())).toEqual({
      code: 'not_found',
      message: 'gone',
    });
  });

  it('redacts the token and the Basic header made from it', () => {
    const secret = JSON.stringify({ email: 'a@example.com', apiToken: 'tok-1234567890' });
    expect(atlassianSecrets(secret)).toEqual([
      'tok-1234567890',
      Buffer.from('a@example.com:tok-1234567890').toString('base64'),
    ]);
    expect(atlassianSecrets('not json')).toEqual([]);
  });
});

describe('the Atlassian specs', () => {
  it('ships descriptions Collexa accepts as targets and the emulator loads with their behaviours', () => {
    for (const [spec, file, operations] of [
      [jiraSpec, JIRA_OPENAPI, 9],
      [confluenceSpec, CONFLUENCE_OPENAPI, 5],
    ] as const) {
      const text = readFileSync(file, 'utf8');
      expect(parseSpecDocument(text).operations).toBe(operations);
      const doc = parseSpec(text);
      expect(() => loadBehaviours(doc, inferResources(doc), {} as ResourceRows)).not.toThrow();
      expect(spec.sandbox.spec).toBe(file);
    }
    expect(JSON.parse(readFileSync(CONFLUENCE_OPENAPI, 'utf8')).info.description).toMatch(/authored by hand/);
  });

  it('marks reads read-only and nothing destructive, every tool open-world, every input bounded', () => {
    const reads = [
      'get_issue',
      'search_issues',
      'list_projects',
      'list_transitions',
      'get_page',
      'search_pages',
      'list_spaces',
    ];
    for (const tool of [...jiraSpec.tools, ...confluenceSpec.tools]) {
      expect(tool.annotations.readOnlyHint, tool.name).toBe(reads.includes(tool.name));
      expect(tool.annotations.destructiveHint ?? false, tool.name).toBe(false);
      expect(tool.annotations.openWorldHint, tool.name).toBe(true);
      for (const [name, prop] of Object.entries(
        tool.inputSchema.properties as Record<string, Record<string, unknown>>,
      )) {
        const bounded = ['maxLength', 'maximum', 'enum', 'maxItems'].some((k) => k in prop);
        expect(bounded, `${tool.name}.${name}`).toBe(true);
      }
    }
  });

  it('points connected servers at the site, or at no host without one', () => {
    expect(atlassianEndpoints({ baseUrl: 'https://acme.atlassian.net/wiki/', options: {} })).toEqual({
      api: 'https://acme.atlassian.net',
    });
    expect(atlassianEndpoints({ options: {} })).toEqual({ api: SANDBOX_ONLY_BASE_URL });
  });
});

describe('the emulator’s behaviour config', () => {
  const jira = parseSpec(readFileSync(JIRA_OPENAPI, 'utf8'));
  const withConfig = (patch: Record<string, unknown>) => {
    const doc = structuredClone(jira);
    doc['x-collexa-emulator'] = { ...(doc['x-collexa-emulator'] as object), ...patch } as never;
    return () => loadBehaviours(doc, inferResources(doc), {} as ResourceRows);
  };

  it('is refused at start, naming what is wrong', () => {
    expect(withConfig({ operations: { 'GET /nowhere': 'jira.createIssue' } })).toThrow(SpecError);
    expect(withConfig({ operations: { 'GET /nowhere': 'jira.createIssue' } })).toThrow(
      /has no operation GET \/nowhere/,
    );
    expect(withConfig({ operations: { 'POST /rest/api/3/issue': 'jira.nope' } })).toThrow(
      /names no behaviour jira\.nope/,
    );
    expect(withConfig({ errors: 'xml' })).toThrow(/x-collexa-emulator/);
    expect(withConfig({ aliases: [{ collection: '/nope', property: 'key' }] })).toThrow(/aliases name no collection/);
    expect(
      withConfig({
        jira: {
          issues: '/rest/api/3/issue',
          statuses: [{ id: '1', name: 'Open', category: 'new' }],
          transitions: [{ id: '2', name: 'Go', to: '9' }],
        },
      }),
    ).toThrow(/goes to no status/);
  });
});

describe('plain text in Atlassian’s formats', () => {
  it('makes ADF paragraphs and hard breaks, and reads them back', () => {
    const doc = textToAdf('First line\nsecond line\n\nNext paragraph');
    expect(doc).toEqual({
      type: 'doc',
      version: 1,
      content: [
        {
          type: 'paragraph',
          content: [{ type: 'text', text: 'First line' }, { type: 'hardBreak' }, { type: 'text', text: 'second line' }],
        },
        { type: 'paragraph', content: [{ type: 'text', text: 'Next paragraph' }] },
      ],
    });
    expect(adfToText(doc)).toBe('First line\nsecond line\n\nNext paragraph');
    expect(adfToText(null)).toBeNull();
    expect(
      adfToText(
        { type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'x'.repeat(50) }] }] },
        10,
      ),
    ).toBe('xxxxxxxxx…');
  });

  it('makes storage format with the text escaped', () => {
    expect(plainToStorage('a < b & "c"\nd\n\n<script>')).toBe(
      '<p>a &lt; b &amp; &quot;c&quot;<br />d</p><p>&lt;script&gt;</p>',
    );
  });
});
