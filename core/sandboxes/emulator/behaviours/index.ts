/**
 * Vendor behaviours of the emulator, named by a spec in its `x-collexa-emulator` extension; a spec without one
 * is emulated generically. The extension says:
 *
 *   errors      the vendor's error shape (vendor-errors.ts), for every error the emulator answers
 *   aliases     another property that addresses a collection's items (`{"collection": "/rest/api/3/issue",
 *               "property": "key"}`: `/issue/PROJ-1` reaches the row of issue 10000, nested paths too)
 *   notFound    the vendor's message for a missing item of a collection (`{id}` is the id asked for)
 *   jira, confluence, gcp   the options of those vendors' behaviours (jira.ts, confluence.ts, gcp.ts)
 *   operations  `"METHOD /path"` → a behaviour's name (`"jira.doTransition"`, `"slack.postMessage"`), or a
 *               search's options (search.ts). Slack's and GitHub's behaviours (slack.ts, github.ts) take no options.
 *
 * Everything is checked when the emulator starts: a spec naming an operation it lacks, an unknown behaviour or
 * malformed options is a SpecError, never a failure at the first request.
 */
import { z } from 'zod';
import { EmulatorError } from '../http-io.js';
import type { Inference } from '../inference.js';
import { SpecError, type Json, type OpenApiDoc, type Operation } from '../openapi.js';
import { keyOf, placeOf, split } from '../routing.js';
import type { ResourceRows } from '../rows.js';
import { collectionOf, type BehaviourHandler } from './behaviour.js';
import { confluenceBehaviours, ConfluenceOptions } from './confluence.js';
import { gcpBehaviours, GcpOptions } from './gcp.js';
import { githubBehaviours } from './github.js';
import { jiraBehaviours, JiraOptions } from './jira.js';
import { searchBehaviour, SearchOptions } from './search.js';
import { slackBehaviours } from './slack.js';
import { ERROR_FORMATS, vendorErrorBody } from './vendor-errors.js';

export type { BehaviourContext, BehaviourHandler } from './behaviour.js';

const Config = z.strictObject({
  errors: z.enum(ERROR_FORMATS).optional(),
  aliases: z
    .array(z.strictObject({ collection: z.string().min(1).max(500), property: z.string().min(1).max(100) }))
    .max(20)
    .optional(),
  notFound: z
    .record(z.string().min(1).max(500), z.string().min(1).max(500))
    .refine((m) => Object.keys(m).length <= 50, 'at most 50 collections')
    .optional(),
  jira: JiraOptions.optional(),
  confluence: ConfluenceOptions.optional(),
  gcp: GcpOptions.optional(),
  operations: z
    .record(z.string().max(600), z.union([z.string().min(1).max(100), SearchOptions]))
    .refine((ops) => Object.keys(ops).length <= 200, 'at most 200 operations')
    .optional(),
});

export interface Behaviours {
  /** The behaviour bound to an operation, if the spec binds one. */
  handlerFor(op: Operation): BehaviourHandler | undefined;
  /** The decoded path parts of a request to `template`, each aliased id replaced by its row's id. */
  canonical(template: string, parts: string[]): Promise<string[]>;
  /** An error's body in the vendor's shape, when the spec names one. */
  errorBody(err: EmulatorError): Json | undefined;
}

const NONE: Behaviours = {
  handlerFor: () => undefined,
  canonical: (_template, parts) => Promise.resolve(parts),
  errorBody: () => undefined,
};

/** The behaviours `doc` names, over `rows`. */
export function loadBehaviours(doc: OpenApiDoc, inference: Inference, rows: ResourceRows): Behaviours {
  const raw = doc['x-collexa-emulator'];
  if (raw === undefined) return NONE;
  const parsed = Config.safeParse(raw);
  if (!parsed.success) throw new SpecError(`x-collexa-emulator: ${z.prettifyError(parsed.error)}`);
  const config = parsed.data;
  let named: Record<string, BehaviourHandler>;
  try {
    named = {
      ...slackBehaviours,
      ...githubBehaviours,
      ...(config.jira ? jiraBehaviours(config.jira, inference) : {}),
      ...(config.confluence ? confluenceBehaviours(config.confluence, inference) : {}),
      ...(config.gcp ? gcpBehaviours(config.gcp, inference) : {}),
    };
  } catch (err) {
    throw new SpecError(`x-collexa-emulator: ${(err as Error).message}`);
  }
  const bound = new Map<Operation, BehaviourHandler>();
  for (const [line, binding] of Object.entries(config.operations ?? {})) {
    const [method = '', path = ''] = line.split(' ');
    const op = inference.paths.find((e) => e.template === path)?.routes.get(method.toLowerCase())?.operation;
    if (!op) throw new SpecError(`x-collexa-emulator: the spec has no operation ${line}`);
    if (typeof binding === 'string') {
      const handler = named[binding];
      if (!handler)
        throw new SpecError(
          `x-collexa-emulator: ${line} names no behaviour ${binding} (known: ${Object.keys(named).join(', ') || 'none'})`,
        );
      bound.set(op, handler);
    } else {
      if (!collectionOf(inference, binding.collection))
        throw new SpecError(`x-collexa-emulator: ${line} searches no collection ${binding.collection}`);
      bound.set(op, searchBehaviour(binding));
    }
  }
  const aliases = (config.aliases ?? []).map(({ collection, property }) => {
    const c = collectionOf(inference, collection);
    if (!c?.itemPath) throw new SpecError(`x-collexa-emulator: aliases name no collection with items: ${collection}`);
    return { c, property, item: split(keyOf(c.itemPath)) };
  });
  const missing = Object.entries(config.notFound ?? {}).map(([collection, message]) => {
    const c = collectionOf(inference, collection);
    if (!c?.itemPath) throw new SpecError(`x-collexa-emulator: notFound names no collection with items: ${collection}`);
    return { item: split(c.itemPath), message };
  });
  /** The error with the vendor's not-found message when it is a missing item of a collection that has one. */
  const worded = (err: EmulatorError): EmulatorError => {
    const at = typeof err.details.path === 'string' ? split(err.details.path) : [];
    const rule =
      err.code === 'not_found' &&
      missing.find(({ item }) => item.length === at.length && item.every((s, i) => s.startsWith('{') || s === at[i]));
    if (!rule) return err;
    const message = rule.message.replace('{id}', String(err.details.id ?? at.at(-1) ?? ''));
    return new EmulatorError(err.status, err.code, message, err.details, err.headers);
  };
  return {
    handlerFor: (op) => bound.get(op),
    async canonical(template, parts) {
      const segments = split(keyOf(template));
      let out = parts;
      for (const { c, property, item } of aliases) {
        if (segments.length < item.length || !item.every((s, i) => segments[i] === s)) continue;
        const key = placeOf(inference, c, c.itemPath!, out.slice(0, item.length)).key;
        const id = await rows.findId(key, property);
        if (id !== undefined && id !== key.id) out = [...out.slice(0, item.length - 1), id, ...out.slice(item.length)];
      }
      return out;
    },
    errorBody: (err) => (config.errors ? vendorErrorBody(config.errors, worded(err)) : undefined),
  };
}
