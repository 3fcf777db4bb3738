/**
 * The emulator's HTTP server: a request is matched to the spec's operation (404 for an unknown path, 405
 * for a method the path does not have), checked against it, then served statefully when the operation is
 * a resource's CRUD, or answered with the spec's example when it is not.
 */
import http from 'node:http';
import type pg from 'pg';
import { decodeComponent } from '../../input/clean-input.js';
import { loadBehaviours } from './behaviours/index.js';
import { Crud, type Answer } from './crud.js';
import { EmulatorError, send, sendError } from './http-io.js';
import { inferResources, type Inference } from './inference.js';
import { matchRoute, placeOf, type Match } from './routing.js';
import { basePaths, jsonMedia, SpecError, successStatus, type OpenApiDoc, type Operation } from './openapi.js';
import { checkRequest } from './request.js';
import { ResourceRows, type StorageLimits } from './rows.js';
import { plausible, schemaAt } from './schema-view.js';
import { SpecValidator } from './validator.js';

/** Answers 200 while the emulator can reach its database, 503 when it cannot: the launcher's readiness path. */
export const HEALTH_PATH = '/__emulator/health';

export interface EmulatorOptions {
  doc: OpenApiDoc;
  pool: pg.Pool;
  /** Largest request body; 1 MiB by default. */
  maxBodyBytes?: number;
  storage?: Partial<StorageLimits>;
  log?: (entry: Record<string, unknown>) => void;
}

export const EMULATOR_DEFAULTS = {
  maxBodyBytes: 1024 * 1024,
  maxResources: 10_000,
  maxStorageBytes: 64 * 1024 * 1024,
};

export interface Emulator {
  server: http.Server;
  inference: Inference;
  /** Compiles what requests will need (the request-direction copy of the spec), ahead of the first one. */
  warm(): void;
}

/** An HTTP server (not listening yet) emulating the spec over `pool`. */
export function createEmulator(opts: EmulatorOptions): Emulator {
  const { doc } = opts;
  const inference = inferResources(doc);
  const validator = new SpecValidator(doc);
  const rows = new ResourceRows(opts.pool, {
    maxResources: opts.storage?.maxResources ?? EMULATOR_DEFAULTS.maxResources,
    maxBytes: opts.storage?.maxBytes ?? EMULATOR_DEFAULTS.maxStorageBytes,
  });
  const crud = new Crud(doc, rows);
  const behaviours = loadBehaviours(doc, inference, rows);
  const bases = basePaths(doc);
  const log = opts.log ?? (() => undefined);

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    // Split by hand: new URL() would read `//host/x` as a host.
    const target = req.url ?? '/';
    const at = target.indexOf('?');
    const url = { pathname: at < 0 ? target : target.slice(0, at), search: at < 0 ? '' : target.slice(at) };
    if (url.pathname === HEALTH_PATH) {
      await rows.ping().then(
        () => send(res, 200, { status: 'ok' }),
        (err: Error) => send(res, 503, { status: 'unavailable', reason: err.message }),
      );
      return;
    }
    const { match, path } = route(inference, bases, req.method ?? 'GET', url.pathname);
    if (!match.found) {
      if (match.status === 405)
        throw new EmulatorError(
          405,
          'method_not_allowed',
          `${req.method} is not an operation of this path`,
          {},
          {
            allow: match.allow.join(', '),
          },
        );
      throw new EmulatorError(404, 'not_found', `No operation of the spec has the path ${url.pathname}`);
    }
    const checked = await checkRequest(req, match.route.operation, match.params, url.search, validator, maxBody);
    const parts = await behaviours.canonical(match.entry.template, decoded(path));
    const own = behaviours.handlerFor(match.route.operation);
    const generic = async (): Promise<Answer> =>
      match.route.kind === 'example'
        ? example(doc, match.route.operation)
        : crud.run(
            match.route.kind,
            match.route.collection,
            placeOf(inference, match.route.collection, match.entry.template, parts),
            checked,
          );
    const answer = own
      ? await own({ doc, inference, rows, request: checked, parts, origin: originOf(req), generic })
      : await generic();
    send(res, answer.status, answer.body, answer.headers);
  };
  const maxBody = opts.maxBodyBytes ?? EMULATOR_DEFAULTS.maxBodyBytes;

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof EmulatorError) return sendError(res, err, behaviours.errorBody);
      if (err instanceof SpecError) {
        log({ level: 'warn', msg: 'spec cannot serve a request', reason: err.message, path: req.url });
        return sendError(res, new EmulatorError(500, 'spec_unusable', err.message), behaviours.errorBody);
      }
      log({ level: 'error', msg: 'request failed', err: (err as Error).message, path: req.url });
      sendError(
        res,
        new EmulatorError(500, 'internal', 'The emulator could not serve the request'),
        behaviours.errorBody,
      );
    });
  });
  return { server, inference, warm: () => validator.warm(['json', 'coerce']) };
}

/** The match on the path as sent, else with a server URL's base path (`/v2`) taken off. */
function route(
  inference: Inference,
  bases: string[],
  method: string,
  pathname: string,
): { match: Match; path: string } {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  const match = matchRoute(inference, method, path);
  for (const base of bases) {
    if (match.found || !(path === base || path.startsWith(`${base}/`))) continue;
    const rest = path.slice(base.length) || '/';
    const m = matchRoute(inference, method, rest);
    if (m.found || (m.status === 405 && match.status === 404)) return { match: m, path: rest };
  }
  return { match, path };
}

const decoded = (path: string) =>
  path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      const d = decodeComponent(s);
      if ('problem' in d) throw new EmulatorError(400, 'invalid_path', `The path cannot be read (${d.problem})`);
      return d.value;
    });

/** `http://host:port` as the request names the emulator, for the links a behaviour answers (a bare host when odd). */
function originOf(req: http.IncomingMessage): string {
  const host = req.headers.host ?? '';
  return `http://${/^[A-Za-z0-9.:[\]-]{1,300}$/.test(host) ? host : '127.0.0.1'}`;
}

/** An operation that is not a resource's CRUD answers like a mock: the example, else a value built from the schema. */
function example(doc: OpenApiDoc, op: Operation): Answer {
  const success = successStatus(op);
  if (!success) return { status: 200 };
  const media = jsonMedia(success.content);
  if (!media) return { status: success.status };
  return { status: success.status, body: media.example ?? plausible(doc, schemaAt(doc, media.schema)) };
}
