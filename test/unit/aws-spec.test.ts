// The AWS spec as data (tools, annotations, bounded inputs, endpoints) and the pure parts of its S3 tools.
import { Readable } from 'node:stream';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import handlers from '../../core/integrations/aws/aws.handlers.js';
import { awsSpec } from '../../core/integrations/aws/aws.spec.js';
import { isTextType, readAtMost, utf8Prefix } from '../../core/integrations/aws/aws-s3.js';
import { integrationSpec } from '../../core/integrations/catalog.js';

const tool = (name: string) => awsSpec.tools.find((t) => t.name === name)!;

describe('the AWS spec', () => {
  it('is in the catalog with a handler for each of its 8 tools', () => {
    expect(integrationSpec('aws')).toBe(awsSpec);
    expect(awsSpec.tools.map((t) => t.name).sort()).toEqual(Object.keys(handlers.tools).sort());
    expect(awsSpec.tools).toHaveLength(8);
  });

  it('marks reads read-only, stopping an instance and replacing an object destructive, starting one not', () => {
    for (const name of ['describe_instances', 'list_buckets', 'get_object', 'list_functions'])
      expect(tool(name).annotations).toMatchObject({ readOnlyHint: true, openWorldHint: true });
    expect(tool('stop_instances').annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(tool('start_instances').annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false });
    expect(tool('put_object').annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(tool('invoke_function').annotations).toMatchObject({ readOnlyHint: false, openWorldHint: true });
  });

  it('bounds every string and list of every input', () => {
    const ajv = new Ajv({ strict: false });
    for (const t of awsSpec.tools) {
      ajv.compile(t.inputSchema);
      for (const [name, prop] of Object.entries(t.inputSchema.properties as Record<string, Record<string, unknown>>)) {
        if (prop.type === 'string') expect(prop.maxLength, `${t.name}.${name}`).toBeTypeOf('number');
        if (prop.type === 'array') expect(prop.maxItems, `${t.name}.${name}`).toBeTypeOf('number');
        if (prop.type === 'integer') expect(prop.maximum, `${t.name}.${name}`).toBeTypeOf('number');
      }
    }
    const validate = ajv.compile(tool('stop_instances').inputSchema);
    expect(validate({ instanceIds: ['i-0123456789abcdef0'] })).toBe(true);
    expect(validate({ instanceIds: [] })).toBe(false);
    expect(validate({ instanceIds: ['sg-01234567'] })).toBe(false);
    expect(validate({ instanceIds: Array.from({ length: 51 }, (_, i) => `i-${String(i).padStart(8, '0')}`) })).toBe(
      false,
    );
  });

  it("offers an emulated sandbox on moto only, and AWS's regional endpoints or the baseUrl when connected", () => {
    expect(Object.keys(awsSpec.sandbox.modes)).toEqual(['emulated']);
    expect(awsSpec.sandbox.modes.emulated).toEqual({
      ec2: { kind: 'moto' },
      s3: { kind: 'moto' },
      lambda: { kind: 'moto' },
    });
    expect(awsSpec.sandbox.spec).toBeUndefined();
    expect(awsSpec.connectedEndpoints({ region: 'eu-west-1', options: {} })).toEqual({
      ec2: 'https://ec2.eu-west-1.amazonaws.com',
      s3: 'https://s3.eu-west-1.amazonaws.com',
      lambda: 'https://lambda.eu-west-1.amazonaws.com',
    });
    const local = 'http://127.0.0.1:4566';
    expect(awsSpec.connectedEndpoints({ baseUrl: local, options: {} })).toEqual({
      ec2: local,
      s3: local,
      lambda: local,
    });
  });
});

describe('S3 object bodies', () => {
  it('reads text types as text and the rest as binary', () => {
    for (const t of [
      'text/plain',
      'text/csv; charset=utf-8',
      'application/json',
      'application/vnd.api+json',
      'application/xml',
      'application/x-yaml',
    ])
      expect(isTextType(t), t).toBe(true);
    for (const t of [undefined, 'application/octet-stream', 'binary/octet-stream', 'image/png', 'application/zip'])
      expect(isTextType(t), String(t)).toBe(false);
  });

  it('reads at most the bound of a stream and says there was more', async () => {
    const chunks = [Buffer.from('abc'), Buffer.from('defg'), Buffer.from('hij')];
    expect(await readAtMost(Readable.from(chunks), 5)).toEqual({ bytes: Buffer.from('abcde'), more: true });
    expect(await readAtMost(Readable.from(chunks), 10)).toEqual({ bytes: Buffer.from('abcdefghij'), more: false });
    expect(await readAtMost(Readable.from([]), 10)).toEqual({ bytes: Buffer.alloc(0), more: false });
  });

  it('drops a character cut in half at the end of a bounded read', () => {
    const bytes = Buffer.from('añb€', 'utf8');
    expect(utf8Prefix(bytes.subarray(0, 2))).toBe('a');
    expect(utf8Prefix(bytes.subarray(0, 5))).toBe('añb');
    expect(utf8Prefix(bytes)).toBe('añb€');
  });
});
