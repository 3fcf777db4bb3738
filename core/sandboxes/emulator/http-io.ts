/**
 * Bytes in and out of the emulator: a bounded body, JSON and form bodies parsed into plain objects, and
 * answers as JSON. Errors have Collexa's shape, `{"error":{"code","message","details"}}`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { jsonProblem } from '../../input/clean-input.js';
import { isObject, type Json, type JsonObject } from './openapi.js';

/** Deepest JSON body the emulator takes (as the API's JSON_MAX_DEPTH default). */
export const BODY_MAX_DEPTH = 64;
const FORM_MAX_FIELDS = 1000;
const FORM_MAX_BRACKETS = 16;

/** An answer other than success: the status, and the body's error code, message and details. */
export class EmulatorError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The request body, at most `maxBytes` (413 beyond, without reading the rest). */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

const tooLarge = (limitBytes: number) =>
  new EmulatorError(413, 'body_too_large', `The body is larger than ${limitBytes} bytes`, { limitBytes });

/** A JSON body, refused (400) when malformed, deeper than BODY_MAX_DEPTH, or holding text PostgreSQL cannot store. */
export function parseJson(bytes: Buffer): Json {
  let value: Json;
  try {
    value = JSON.parse(bytes.toString('utf8')) as Json;
  } catch (err) {
    throw new EmulatorError(400, 'malformed_json', `The body is not JSON: ${(err as Error).message}`);
  }
  const problem = jsonProblem(value, BODY_MAX_DEPTH);
  if (problem)
    throw new EmulatorError(400, 'invalid_body', `The body has a ${problem.problem.replace('_', ' ')}`, { ...problem });
  return value;
}

/**
 * An `application/x-www-form-urlencoded` body with bracket keys (`metadata[plan]=pro`, `items[0][price]=p`,
 * `expand[]=x`) as nested objects and arrays: how Stripe and other form APIs send deepObject fields.
 */
export function parseForm(bytes: Buffer, where: 'body' | 'query' = 'body'): JsonObject {
  const code = where === 'body' ? 'invalid_body' : 'invalid_parameters';
  const conflicting = (key: string) =>
    new EmulatorError(400, code, `The ${where} field ${JSON.stringify(key)} conflicts with another`);
  const form = new URLSearchParams(bytes.toString('utf8'));
  const root: JsonObject = {};
  let fields = 0;
  for (const [key, value] of form) {
    if (++fields > FORM_MAX_FIELDS) throw new EmulatorError(400, code, `More than ${FORM_MAX_FIELDS} ${where} fields`);
    const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    const path = m ? [m[1]!, ...[...m[2]!.matchAll(/\[([^[\]]*)\]/g)].map((b) => b[1]!)] : [key];
    if (path.length > FORM_MAX_BRACKETS + 1 || path.some((p) => p === '__proto__'))
      throw new EmulatorError(400, code, `The ${where} field ${JSON.stringify(key)} cannot be read`);
    let node: Record<string | number, Json> = root;
    for (let i = 0; i < path.length; i++) {
      const part = path[i]!;
      const slot = Array.isArray(node) ? (part === '' ? node.length : Number(part)) : part;
      if (Array.isArray(node) && (!Number.isInteger(slot) || (slot as number) > node.length))
        throw new EmulatorError(400, code, `The ${where} field ${JSON.stringify(key)} skips an index`);
      const existing = node[slot];
      if (i === path.length - 1) {
        if (isObject(existing)) throw conflicting(key);
        // A repeated plain key (`tag=a&tag=b`) is a list, as an exploded form field is.
        if (existing === undefined || Array.isArray(node)) node[slot] = value;
        else node[slot] = Array.isArray(existing) ? [...existing, value] : [existing, value];
        break;
      }
      if (existing === undefined) node[slot] = path[i + 1] === '' || /^\d+$/.test(path[i + 1]!) ? [] : {};
      else if (typeof existing !== 'object' || existing === null) throw conflicting(key);
      node = node[slot] as Record<string | number, Json>;
    }
  }
  const problem = jsonProblem(root, BODY_MAX_DEPTH);
  if (problem)
    throw new EmulatorError(400, code, `The ${where} has a ${problem.problem.replace('_', ' ')}`, { ...problem });
  return root;
}

/** Writes a JSON answer (or none, for 204 and `undefined`). */
export function send(res: ServerResponse, status: number, body?: Json, headers: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (status === 204 || body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

/** Writes an error: Collexa's shape, or the vendor's when the spec names one (`format`, see behaviours/). */
export function sendError(
  res: ServerResponse,
  err: EmulatorError,
  format?: (err: EmulatorError) => Json | undefined,
): void {
  const body = format?.(err) ?? { error: { code: err.code, message: err.message, details: err.details as Json } };
  send(res, err.status, body, err.headers);
}
