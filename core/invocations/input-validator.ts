import { createHash } from 'node:crypto';
import { Ajv, type ValidateFunction } from 'ajv';
import { RE2JSSyntaxException } from 're2js';
import type { AppError } from '../errors.js';
import { badRequest } from '../errors.js';
import { addFormats, describeErrors, re2RegExp } from '../input/schema-engine.js';

/** Largest tool input schema (JSON bytes) Collexa compiles. */
export const TOOL_SCHEMA_MAX_BYTES = 256 * 1024;
/** Largest tool input (JSON bytes) Collexa validates and passes on. */
export const TOOL_INPUT_MAX_BYTES = 256 * 1024;
const MAX_ERRORS_SHOWN = 20;
const MAX_CACHED = 1000;

const ajv = new Ajv({ allErrors: true, strict: false, code: { regExp: re2RegExp } });
addFormats(ajv);
const cache = new Map<string, ValidateFunction>();

/** Which tool a schema belongs to, for messages. */
export interface ToolRef {
  tool: string;
  server?: string;
}

const label = (ref: ToolRef) =>
  ref.server ? `Tool "${ref.tool}" of MCP server "${ref.server}"` : `Tool "${ref.tool}"`;

function schemaError(ref: ToolRef, reason: string): AppError {
  return badRequest('invalid_tool_schema', `${label(ref)} has an input schema Collexa cannot use: ${reason}`, {
    ...ref,
    reason,
  });
}

function compiled(schema: Record<string, unknown>, ref: ToolRef): ValidateFunction {
  const text = JSON.stringify(schema);
  if (Buffer.byteLength(text) > TOOL_SCHEMA_MAX_BYTES)
    throw schemaError(ref, `it is larger than ${TOOL_SCHEMA_MAX_BYTES} bytes`);
  const key = createHash('sha256').update(text).digest('hex');
  let validate = cache.get(key);
  if (validate) return validate;
  try {
    validate = ajv.compile(schema);
  } catch (err) {
    const message = (err as Error).message;
    // re2js names the construct it cannot run, e.g. "invalid or unsupported Perl syntax: `(?!`".
    if (err instanceof RE2JSSyntaxException)
      throw schemaError(
        ref,
        `a pattern cannot run in linear time on RE2 (no backreferences or lookaround): ${message}`,
      );
    throw schemaError(ref, message);
  } finally {
    ajv.removeSchema(schema);
  }
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(key, validate);
  return validate;
}

/** Throws 400 invalid_tool_schema, naming the tool, unless its input schema compiles (size, RE2 patterns). */
export function assertUsableToolSchema(schema: Record<string, unknown> | undefined, ref: ToolRef): void {
  if (schema) compiled(schema, ref);
}

/** Validates tool input against the tool's pinned input JSON Schema; throws a 400 with the schema errors. */
export function assertValidToolInput(schema: Record<string, unknown> | undefined, input: unknown, ref: ToolRef): void {
  if (Buffer.byteLength(JSON.stringify(input) ?? '') > TOOL_INPUT_MAX_BYTES) {
    throw badRequest('input_too_large', `The input is larger than ${TOOL_INPUT_MAX_BYTES} bytes`, {
      limitBytes: TOOL_INPUT_MAX_BYTES,
    });
  }
  if (!schema) return;
  const validate = compiled(schema, ref);
  if (!validate(input)) {
    throw badRequest(
      'invalid_input',
      'The input does not match the tool’s input schema',
      describeErrors(validate.errors, MAX_ERRORS_SHOWN),
    );
  }
}
