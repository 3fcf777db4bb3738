import { createHash } from 'node:crypto';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { badRequest } from '../errors.js';

// ajv-formats is CommonJS; under ESM its function may arrive as the module or wrapped in `default`.
type AddFormats = (ajv: Ajv) => Ajv;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as unknown as AddFormats;

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const cache = new Map<string, ValidateFunction>();

/** Validates tool input against the tool's pinned input JSON Schema; throws a 400 with every schema error. */
export function assertValidToolInput(schema: Record<string, unknown> | undefined, input: unknown): void {
  if (!schema) return;
  const key = createHash('sha256').update(JSON.stringify(schema)).digest('hex');
  let validate = cache.get(key);
  if (!validate) {
    try {
      validate = ajv.compile(schema);
    } catch (err) {
      throw badRequest('invalid_tool_schema', `The tool's input schema cannot be used: ${(err as Error).message}`);
    }
    cache.set(key, validate);
  }
  if (!validate(input)) {
    const errors = (validate.errors ?? []).map((e) => ({ path: e.instancePath || '/', message: e.message ?? 'invalid', keyword: e.keyword, params: e.params }));
    throw badRequest('invalid_input', 'The input does not match the tool’s input schema', { errors });
  }
}
