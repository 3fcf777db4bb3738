/**
 * A request checked against its operation: path, query and header parameters (decoded, coerced to their
 * schemas' types, defaults filled in: 400 when they do not fit) and the body (bounded, JSON or form,
 * validated: 415 for a media type the operation does not take, 422 when it does not match the schema).
 */
import type { IncomingMessage } from 'node:http';
import { decodeComponent } from '../../input/clean-input.js';
import { EmulatorError, parseForm, parseJson, readBody } from './http-io.js';
import { type Json, type JsonObject, type Operation } from './openapi.js';
import type { SpecValidator } from './validator.js';

export interface CheckedRequest {
  path: JsonObject;
  query: JsonObject;
  body?: Json;
  /** The body's media type as the operation declares it. */
  mediaType?: string;
}

// Declared as parameters, these headers are the transport's own: OpenAPI says to ignore them.
const TRANSPORT_HEADERS = new Set(['accept', 'content-type', 'authorization']);

export async function checkRequest(
  req: IncomingMessage,
  op: Operation,
  rawPathParams: Record<string, string>,
  search: string,
  validator: SpecValidator,
  maxBodyBytes: number,
): Promise<CheckedRequest> {
  const path: JsonObject = {};
  for (const [name, raw] of Object.entries(rawPathParams)) {
    const decoded = decodeComponent(raw);
    if ('problem' in decoded)
      throw new EmulatorError(400, 'invalid_parameters', `The path parameter ${name} cannot be read`, {
        parameter: name,
        problem: decoded.problem,
      });
    path[name] = decoded.value;
  }
  const query = search ? parseForm(Buffer.from(search.replace(/^\?/, '')), 'query') : {};
  const headers: JsonObject = {};
  for (const p of op.parameters) {
    const value = req.headers[p.name.toLowerCase()];
    if (p.in === 'header' && value !== undefined && !TRANSPORT_HEADERS.has(p.name.toLowerCase()))
      headers[p.name] = value;
  }
  const values = { path, query, header: headers } as Record<string, JsonObject>;
  for (const where of ['path', 'query', 'header'] as const) {
    const declared = op.parameters.filter((p) => p.in === where && !TRANSPORT_HEADERS.has(p.name.toLowerCase()));
    if (declared.length === 0) continue;
    const given = values[where]!;
    // Only declared parameters are checked (and kept); anything else passes as a server would ignore it.
    const data: JsonObject = Object.fromEntries(
      declared.filter((p) => given[p.name] !== undefined).map((p) => [p.name, given[p.name]!]),
    );
    const result = validator.validateFields(
      `${op.method} ${op.path} ${where}`,
      Object.fromEntries(declared.map((p) => [p.name, p.schema])),
      declared.filter((p) => p.required).map((p) => p.name),
      data,
    );
    if (!result.ok)
      throw new EmulatorError(400, 'invalid_parameters', `The ${where} parameters do not match the operation`, {
        in: where,
        errors: result.errors,
        ...(result.more ? { more: result.more } : {}),
      });
    values[where] = data;
  }
  const checked: CheckedRequest = { path: values.path!, query: values.query! };
  if (op.body) await checkBody(req, op, validator, maxBodyBytes, checked);
  return checked;
}

async function checkBody(
  req: IncomingMessage,
  op: Operation,
  validator: SpecValidator,
  maxBodyBytes: number,
  checked: CheckedRequest,
): Promise<void> {
  const content = op.body!.content;
  const bytes = await readBody(req, maxBodyBytes);
  if (bytes.length === 0) {
    if (op.body!.required) throw new EmulatorError(422, 'invalid_body', 'The operation requires a body');
    return;
  }
  const given = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const types = Object.keys(content);
  const isJson = (t: string) => /^application\/([\w.-]+\+)?json$/.test(t);
  const type =
    types.find((t) => t === given) ??
    (isJson(given) ? types.find(isJson) : undefined) ??
    (given === '' ? types[0] : types.find((t) => t === '*/*'));
  if (type === undefined)
    throw new EmulatorError(415, 'unsupported_media_type', `The operation takes ${types.join(', ') || 'no body'}`, {
      accepted: types,
    });
  const form =
    type === 'application/x-www-form-urlencoded' || (given === 'application/x-www-form-urlencoded' && type === '*/*');
  const body: Json = form
    ? parseForm(bytes)
    : isJson(type) || type === '*/*'
      ? parseJson(bytes)
      : bytes.toString('utf8');
  const schema = content[type]!.schema;
  if (schema) {
    // ajv fills in defaults (and, for a form, coerces strings) in place.
    const result = validator.validate(schema, form ? 'coerce' : 'json', body);
    if (!result.ok)
      throw new EmulatorError(422, 'invalid_body', 'The body does not match the operation’s schema', {
        errors: result.errors,
        ...(result.more ? { more: result.more } : {}),
      });
  }
  checked.body = body;
  checked.mediaType = type;
}
