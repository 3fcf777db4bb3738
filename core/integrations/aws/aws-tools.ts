import { objectSchema, type IntegrationTool, type JsonSchema } from '../integration.js';

/** What one tool call may send or answer of an object's or a payload's bytes (the tool input itself is ≤ 256 KiB). */
export const MAX_OBJECT_READ_BYTES = 256 * 1024;
export const DEFAULT_OBJECT_READ_BYTES = 64 * 1024;
export const MAX_PUT_CHARS = 192 * 1024;
export const MAX_PAYLOAD_TEXT = 64 * 1024;

// EC2's InstanceStateName enum, as the EC2 description (2016-11-15) has it.
const INSTANCE_STATES = ['pending', 'running', 'shutting-down', 'terminated', 'stopping', 'stopped'];

const instanceIds = (min: number, max: number): JsonSchema => ({
  type: 'array',
  description: 'EC2 instance ids, e.g. i-0abcd1234ef567890.',
  items: { type: 'string', pattern: '^i-[0-9a-f]{8,17}$', maxLength: 19 },
  minItems: min,
  maxItems: max,
  uniqueItems: true,
});
const bucket: JsonSchema = {
  type: 'string',
  description: 'The S3 bucket name.',
  pattern: '^[A-Za-z0-9._-]{3,255}$',
  maxLength: 255,
};
const key: JsonSchema = {
  type: 'string',
  description: 'The object key (its path in the bucket).',
  minLength: 1,
  maxLength: 1024,
};
const token: JsonSchema = {
  type: 'string',
  description: 'The token of the previous page.',
  minLength: 1,
  maxLength: 4096,
};

/**
 * The AWS tools, on EC2 (DescribeInstances, StartInstances, StopInstances), S3 (ListBuckets, GetObject,
 * PutObject) and Lambda (ListFunctions, Invoke): inputs bounded, answers trimmed to what an agent acts on.
 */
export const AWS_TOOLS: IntegrationTool[] = [
  {
    name: 'describe_instances',
    title: 'Describe EC2 instances',
    description:
      'Lists EC2 instances of the configured region: id, type, state, launch time, Name tag and IP addresses. ' +
      'Narrow by instance ids and/or states; without ids the answer is paged (nextToken).',
    inputSchema: objectSchema(
      {
        instanceIds: instanceIds(1, 100),
        states: {
          type: 'array',
          description: 'Only instances in these states.',
          items: { type: 'string', enum: INSTANCE_STATES },
          minItems: 1,
          maxItems: INSTANCE_STATES.length,
          uniqueItems: true,
        },
        maxResults: {
          type: 'integer',
          description: 'At most this many instances a page (5-1000, default 100; not with instanceIds).',
          minimum: 5,
          maximum: 1000,
        },
        nextToken: token,
      },
      [],
    ),
    annotations: { title: 'Describe EC2 instances', readOnlyHint: true, openWorldHint: true },
  },
  {
    name: 'start_instances',
    title: 'Start EC2 instances',
    description: 'Starts stopped EC2 instances; answers each one with its previous and current state.',
    inputSchema: objectSchema({ instanceIds: instanceIds(1, 50) }),
    annotations: {
      title: 'Start EC2 instances',
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: true,
    },
  },
  {
    name: 'stop_instances',
    title: 'Stop EC2 instances',
    description:
      'Stops running EC2 instances (what runs on them goes down; instance-store data is lost). Answers each ' +
      'one with its previous and current state. `force` skips the guest OS shutdown.',
    inputSchema: objectSchema(
      {
        instanceIds: instanceIds(1, 50),
        force: { type: 'boolean', description: 'Force the stop without a clean OS shutdown (default false).' },
      },
      ['instanceIds'],
    ),
    annotations: {
      title: 'Stop EC2 instances',
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: true,
      openWorldHint: true,
    },
  },
  {
    name: 'list_buckets',
    title: 'List S3 buckets',
    description: 'Lists the S3 buckets of the account (name, creation date, region when S3 tells it), paged.',
    inputSchema: objectSchema(
      {
        prefix: { type: 'string', description: 'Only buckets whose name starts with this.', maxLength: 255 },
        maxBuckets: { type: 'integer', description: 'At most this many buckets (1-1000).', minimum: 1, maximum: 1000 },
        continuationToken: token,
      },
      [],
    ),
    annotations: { title: 'List S3 buckets', readOnlyHint: true, openWorldHint: true },
  },
  {
    name: 'get_object',
    title: 'Get an S3 object',
    description:
      'Reads an S3 object: a text object (text/*, JSON, XML, YAML, CSV) as `text`, any other as `base64`, at ' +
      `most maxBytes of it (default ${DEFAULT_OBJECT_READ_BYTES}, at most ${MAX_OBJECT_READ_BYTES}); ` +
      '`truncated` says when the object is longer. Answers its content type, size and ETag too.',
    inputSchema: objectSchema(
      {
        bucket,
        key,
        maxBytes: {
          type: 'integer',
          description: 'At most this many bytes of the object.',
          minimum: 1,
          maximum: MAX_OBJECT_READ_BYTES,
        },
      },
      ['bucket', 'key'],
    ),
    annotations: { title: 'Get an S3 object', readOnlyHint: true, openWorldHint: true },
  },
  {
    name: 'put_object',
    title: 'Put an S3 object',
    description:
      'Writes an S3 object from `text` (UTF-8) or `base64` (binary), exactly one of them, replacing any object ' +
      'of that key. contentType defaults to text/plain; charset=utf-8 for text, application/octet-stream else.',
    inputSchema: objectSchema(
      {
        bucket,
        key,
        text: { type: 'string', description: 'The content as text.', maxLength: MAX_PUT_CHARS },
        base64: {
          type: 'string',
          description: 'The content as base64.',
          maxLength: MAX_PUT_CHARS,
          pattern: '^[A-Za-z0-9+/]*={0,2}$',
        },
        contentType: {
          type: 'string',
          description: 'The MIME type, e.g. application/json.',
          maxLength: 255,
          pattern: '^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+( *;[ -~]*)?$',
        },
      },
      ['bucket', 'key'],
    ),
    // It replaces the object of that key: what was there is gone.
    annotations: {
      title: 'Put an S3 object',
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: true,
      openWorldHint: true,
    },
  },
  {
    name: 'list_functions',
    title: 'List Lambda functions',
    description:
      'Lists the Lambda functions of the configured region (name, ARN, runtime, handler, size limits), paged.',
    inputSchema: objectSchema(
      {
        maxItems: { type: 'integer', description: 'At most this many functions (1-50).', minimum: 1, maximum: 50 },
        marker: { ...token, description: 'The nextMarker of the previous page.' },
      },
      [],
    ),
    annotations: { title: 'List Lambda functions', readOnlyHint: true, openWorldHint: true },
  },
  {
    name: 'invoke_function',
    title: 'Invoke a Lambda function',
    description:
      'Invokes a Lambda function synchronously with a JSON payload and answers its status code, functionError ' +
      `(Unhandled, when the function failed), its response payload as text (at most ${MAX_PAYLOAD_TEXT} characters) ` +
      'and, with logTail, the last 4 KB of its log. The function runs with whatever effects it has.',
    inputSchema: objectSchema(
      {
        functionName: {
          type: 'string',
          description: 'The function name or ARN (with a :version or :alias suffix if wanted).',
          pattern: '^[A-Za-z0-9_.:$-]+$',
          minLength: 1,
          maxLength: 170,
        },
        payload: { description: 'The event, any JSON value (default {}).' },
        qualifier: {
          type: 'string',
          description: 'A version or alias.',
          pattern: '^[A-Za-z0-9$_-]+$',
          maxLength: 128,
        },
        logTail: { type: 'boolean', description: 'Answer the tail of the execution log too (default false).' },
      },
      ['functionName'],
    ),
    // Not read-only: the function does whatever it does (destructiveHint left to MCP's default, true).
    annotations: { title: 'Invoke a Lambda function', readOnlyHint: false, openWorldHint: true },
  },
];
