/**
 * The spec's schemas compiled on demand, by JSON pointer, with ajv on RE2 (no ReDoS from a tenant's
 * `pattern`). Three uses: request bodies in JSON (defaults filled in, no coercion), parameters and form
 * bodies (strings coerced to the schema's types, defaults filled in), and fixtures (response direction).
 */
import { Ajv, type Options, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { RE2JSSyntaxException } from 're2js';
import { addFormats, describeErrors, re2RegExp, type SchemaViolation } from '../../input/schema-engine.js';
import { jsonSchemaDocument, type Direction } from './schema-transform.js';
import { atPointer, SpecError, specVersion, type OpenApiDoc } from './openapi.js';
import { resolve } from './schema-view.js';

export type ValidationMode = 'json' | 'coerce' | 'fixture';

/** OpenAPI's own formats: numeric ranges are checked, the others are annotations. */
const OPENAPI_FORMATS = {
  int32: { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 },
  int64: { type: 'number', validate: (n: number) => Number.isInteger(n) },
  float: { type: 'number', validate: () => true },
  double: { type: 'number', validate: () => true },
  byte: /^[A-Za-z0-9+/]*={0,2}$/,
  binary: () => true,
  password: () => true,
} as const;

const ref = (pointer: string) => ({ $ref: `openapi#${encodeURI(pointer)}` });

type Result = { ok: true } | { ok: false; errors: SchemaViolation[]; more?: number };

const MODES: Record<ValidationMode, { direction: Direction; options: Options }> = {
  json: { direction: 'request', options: { useDefaults: true } },
  coerce: { direction: 'request', options: { useDefaults: true, coerceTypes: 'array' } },
  fixture: { direction: 'response', options: {} },
};

/**
 * The validators of one spec. Each mode's ajv, and each direction's copy of the document, is made on first
 * use: the emulator never validates fixtures, and a large spec's copy costs tens of MB.
 */
export class SpecValidator {
  private readonly ajvs = new Map<ValidationMode, Ajv>();
  private readonly docs = new Map<Direction, OpenApiDoc>();
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(readonly doc: OpenApiDoc) {}

  /** Makes the validators of `modes` now (the emulator does after it listens, so no request waits for it). */
  warm(modes: ValidationMode[]): void {
    for (const mode of modes) this.ajv(mode);
  }

  private ajv(mode: ValidationMode): Ajv {
    let ajv = this.ajvs.get(mode);
    if (ajv) return ajv;
    const { direction, options } = MODES[mode];
    const version = specVersion(this.doc);
    let doc = this.docs.get(direction);
    if (!doc) this.docs.set(direction, (doc = jsonSchemaDocument(this.doc, version, direction)));
    const all: Options = {
      allErrors: true,
      strict: false,
      logger: false,
      validateFormats: true,
      code: { regExp: re2RegExp },
      ...options,
    };
    ajv = (version === '3.1' ? new Ajv2020(all) : new Ajv(all)) as Ajv;
    addFormats(ajv);
    for (const [name, format] of Object.entries(OPENAPI_FORMATS)) ajv.addFormat(name, format as never);
    // The document is not a schema; only the fragments compiled by pointer are.
    ajv.addSchema(doc as object, 'openapi', undefined, false);
    this.ajvs.set(mode, ajv);
    return ajv;
  }

  /** Validates (and, in `coerce` and `json` mode, fills defaults into and coerces) `data` in place. */
  validate(pointer: string, mode: ValidationMode, data: unknown): Result {
    const validate = this.compiled(pointer, mode);
    if (validate(data)) return { ok: true };
    return { ok: false, ...describeErrors(validate.errors) };
  }

  /** Validates `data` against an object schema whose properties are the schemas at `pointers` (parameters). */
  validateFields(
    key: string,
    fields: Record<string, string | undefined>,
    required: string[],
    data: Record<string, unknown>,
  ): Result {
    // ajv fills in a property's default only from the property's own schema, not through its $ref.
    const field = (pointer: string | undefined) => {
      if (!pointer) return {};
      const fallback = resolve(this.doc, atPointer(this.doc, pointer))?.default;
      return fallback === undefined ? ref(pointer) : { ...ref(pointer), default: fallback };
    };
    const validate = this.compiled(`fields ${key}`, 'coerce', () => ({
      type: 'object',
      properties: Object.fromEntries(Object.entries(fields).map(([name, p]) => [name, field(p)])),
      required,
    }));
    if (validate(data)) return { ok: true };
    return { ok: false, ...describeErrors(validate.errors) };
  }

  /** Compiles the schema at `pointer` (or one built once by `build`); throws SpecError when it cannot run. */
  compiled(pointer: string, mode: ValidationMode, build: () => object = () => ref(pointer)): ValidateFunction {
    const key = `${mode} ${pointer}`;
    let validate = this.cache.get(key);
    if (validate) return validate;
    try {
      validate = this.ajv(mode).compile(build());
    } catch (err) {
      const why =
        err instanceof RE2JSSyntaxException
          ? `a pattern cannot run in linear time on RE2 (no backreferences or lookaround): ${err.message}`
          : (err as Error).message;
      throw new SpecError(`the schema at ${pointer} cannot be used: ${why}`);
    }
    this.cache.set(key, validate);
    return validate;
  }
}
