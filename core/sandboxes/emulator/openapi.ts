/**
 * An OpenAPI 3.0/3.1 document as the emulator reads it: bounded on the way in (a tenant's spec is hostile),
 * local `$ref`s followed with a bound, and every operation flattened with its parameters, body and
 * responses as JSON pointers into the document (the validator compiles schemas by pointer).
 */
import { jsonProblem } from '../../input/clean-input.js';

/** Largest spec (JSON bytes) the emulator reads; the biggest shipped spec (github.com) is under 6 MB. */
export const SPEC_MAX_BYTES = 16 * 1024 * 1024;
/** Deepest nesting of a spec; real ones stay under 40. */
export const SPEC_MAX_DEPTH = 128;
const MAX_REF_HOPS = 32;

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
export type OpenApiDoc = JsonObject & { openapi: string; paths: Record<string, JsonObject> };

/** The spec cannot be used, and why. */
export class SpecError extends Error {
  override name = 'SpecError';
}

export interface ParameterRef {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  /** Pointer of its schema, when it has one. */
  schema?: string;
}

export interface MediaRef {
  /** Pointer of the media type's schema, when it has one. */
  schema?: string;
  example?: Json;
}

export interface Operation {
  method: HttpMethod;
  /** The path template, e.g. `/issues/{issueId}`. */
  path: string;
  operationId?: string;
  parameters: ParameterRef[];
  body?: { required: boolean; content: Record<string, MediaRef> };
  /** By status code ('200', '2XX', 'default'). */
  responses: Record<string, { content: Record<string, MediaRef> }>;
}

/** Sets an own property, even one named `__proto__` (a key from a request or a spec must not reach a prototype). */
export function setOwn(target: JsonObject, key: string, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and bounds a spec: JSON of at most SPEC_MAX_BYTES and SPEC_MAX_DEPTH, OpenAPI 3.0 or 3.1, with paths. */
export function parseSpec(text: string): OpenApiDoc {
  if (Buffer.byteLength(text) > SPEC_MAX_BYTES) throw new SpecError(`the spec is larger than ${SPEC_MAX_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new SpecError(`the spec is not JSON: ${(err as Error).message}`);
  }
  return checkSpec(doc);
}

/** The checks of parseSpec on a parsed value. */
export function checkSpec(doc: unknown): OpenApiDoc {
  const problem = jsonProblem(doc, SPEC_MAX_DEPTH);
  if (problem)
    throw new SpecError(`the spec has a ${problem.problem.replace('_', ' ')} at ${problem.path || 'its top'}`);
  if (!isObject(doc) || typeof doc.openapi !== 'string' || !/^3\.[01]\./.test(doc.openapi))
    throw new SpecError('the spec is not OpenAPI 3.0 or 3.1 (no "openapi": "3.0.x" or "3.1.x")');
  if (!isObject(doc.paths)) throw new SpecError('the spec has no paths');
  return doc as OpenApiDoc;
}

export const specVersion = (doc: OpenApiDoc): '3.0' | '3.1' => (doc.openapi.startsWith('3.1') ? '3.1' : '3.0');

const unescape = (token: string) => token.replace(/~1/g, '/').replace(/~0/g, '~');
export const escapeToken = (token: string) => token.replace(/~/g, '~0').replace(/\//g, '~1');

/** The value at a JSON pointer (`/components/schemas/Issue`), or undefined. */
export function atPointer(doc: Json, pointer: string): Json | undefined {
  let v: Json | undefined = doc;
  for (const raw of pointer.split('/').slice(1)) {
    const token = unescape(raw);
    if (Array.isArray(v)) v = v[Number(token)];
    else if (isObject(v) && Object.hasOwn(v, token)) v = v[token];
    else return undefined;
  }
  return v;
}

/** The JSON pointer of a local `$ref` (`#/components/schemas/A` → `/components/schemas/A`); undefined for any other. */
export function refPointer(ref: string): string | undefined {
  if (!ref.startsWith('#')) return undefined;
  try {
    return decodeURIComponent(ref.slice(1));
  } catch {
    return undefined;
  }
}

/** Follows `$ref`s (local ones only) from the value at `pointer`: the object found and its pointer. */
export function deref(doc: OpenApiDoc, pointer: string): { value: JsonObject; pointer: string } | undefined {
  for (let hops = 0; hops < MAX_REF_HOPS; hops++) {
    const value = atPointer(doc, pointer);
    if (!isObject(value)) return undefined;
    if (typeof value.$ref !== 'string') return { value, pointer };
    const next = refPointer(value.$ref);
    if (next === undefined) throw new SpecError(`the spec refers outside itself (${value.$ref.slice(0, 200)})`);
    pointer = next;
  }
  throw new SpecError(`the spec's $refs loop at ${pointer}`);
}

function media(doc: OpenApiDoc, pointer: string): Record<string, MediaRef> {
  const content = atPointer(doc, `${pointer}/content`);
  if (!isObject(content)) return {};
  const out: Record<string, MediaRef> = {};
  for (const [type, m] of Object.entries(content)) {
    if (!isObject(m)) continue;
    const at = `${pointer}/content/${escapeToken(type)}`;
    out[type.toLowerCase()] = {
      ...(m.schema !== undefined ? { schema: `${at}/schema` } : {}),
      ...(exampleOf(doc, at) !== undefined ? { example: exampleOf(doc, at) } : {}),
    };
  }
  return out;
}

/** A media type's `example`, or the value of its first `examples` entry. */
function exampleOf(doc: OpenApiDoc, pointer: string): Json | undefined {
  const m = atPointer(doc, pointer);
  if (!isObject(m)) return undefined;
  if (m.example !== undefined) return m.example;
  if (!isObject(m.examples)) return undefined;
  const first = Object.keys(m.examples)[0];
  return first === undefined ? undefined : deref(doc, `${pointer}/examples/${escapeToken(first)}`)?.value.value;
}

function parameters(doc: OpenApiDoc, pointer: string): ParameterRef[] {
  const list = atPointer(doc, pointer);
  if (!Array.isArray(list)) return [];
  return list.flatMap((_, i) => {
    const p = deref(doc, `${pointer}/${i}`);
    if (!p || typeof p.value.name !== 'string' || !['path', 'query', 'header', 'cookie'].includes(p.value.in as string))
      return [];
    return [
      {
        name: p.value.name,
        in: p.value.in as ParameterRef['in'],
        required: p.value.required === true || p.value.in === 'path',
        ...(p.value.schema !== undefined ? { schema: `${p.pointer}/schema` } : {}),
      },
    ];
  });
}

/** Every operation of the spec, path-level parameters merged under the operation's own (same name and place). */
export function operations(doc: OpenApiDoc): Operation[] {
  const out: Operation[] = [];
  for (const path of Object.keys(doc.paths)) {
    const item = deref(doc, `/paths/${escapeToken(path)}`);
    if (!item) continue;
    const shared = parameters(doc, `${item.pointer}/parameters`);
    for (const method of HTTP_METHODS) {
      if (!isObject(item.value[method])) continue;
      const at = `${item.pointer}/${method}`;
      const own = parameters(doc, `${at}/parameters`);
      const key = (p: ParameterRef) => `${p.in}:${p.name}`;
      const ownKeys = new Set(own.map(key));
      const op: Operation = {
        method,
        path,
        parameters: [...shared.filter((p) => !ownKeys.has(key(p))), ...own],
        responses: {},
      };
      const opId = (item.value[method] as JsonObject).operationId;
      if (typeof opId === 'string') op.operationId = opId;
      const body = deref(doc, `${at}/requestBody`);
      if (body) op.body = { required: body.value.required === true, content: media(doc, body.pointer) };
      const responses = atPointer(doc, `${at}/responses`);
      for (const status of isObject(responses) ? Object.keys(responses) : []) {
        const r = deref(doc, `${at}/responses/${escapeToken(status)}`);
        if (r) op.responses[status.toUpperCase()] = { content: media(doc, r.pointer) };
      }
      out.push(op);
    }
  }
  return out;
}

/** The path parts of the spec's server URLs (`https://api.example.com/v2` → `/v2`), longest first. */
export function basePaths(doc: OpenApiDoc): string[] {
  const servers = Array.isArray(doc.servers) ? doc.servers : [];
  const paths = servers.flatMap((s) => {
    if (!isObject(s) || typeof s.url !== 'string') return [];
    const p = new URL(s.url, 'http://base').pathname.replace(/\/+$/, '');
    return p ? [p] : [];
  });
  return [...new Set(paths)].sort((a, b) => b.length - a.length);
}

/** The JSON media type of a content map (`application/json`, `application/problem+json`, `*\/*`), if any. */
export function jsonMedia(content: Record<string, MediaRef>): MediaRef | undefined {
  const type = Object.keys(content).find((t) => /^application\/([\w.-]+\+)?json\b/.test(t) || t === '*/*');
  return type === undefined ? undefined : content[type];
}

/** The 2xx response an operation answers with: the lowest declared, or `2XX`, or `default`. */
export function successStatus(op: Operation): { status: number; content: Record<string, MediaRef> } | undefined {
  const codes = Object.keys(op.responses)
    .filter((s) => /^2\d\d$/.test(s))
    .sort();
  const code = codes[0] ?? (op.responses['2XX'] ? '2XX' : op.responses.DEFAULT ? 'DEFAULT' : undefined);
  if (code === undefined) return undefined;
  return { status: /^\d+$/.test(code) ? Number(code) : 200, content: op.responses[code]!.content };
}
