/** The gcp integration's tools: their inputs (bounded as Google bounds names) and MCP annotations. */
import { objectSchema, type IntegrationTool, type JsonSchema } from '../integration.js';

/** The largest object get_object reads and put_object writes (a result holds it twice, base64 a third more). */
export const MAX_OBJECT_BYTES = 256 * 1024;

// Google's own name rules (Compute resource names are RFC 1035 labels; bucket names 3-63, dotted up to 222).
const project: JsonSchema = {
  type: 'string',
  pattern: '^[a-z][-a-z0-9.:]{4,61}[a-z0-9]$',
  description: 'The project id; default the server’s config.project.',
};
const zone: JsonSchema = {
  type: 'string',
  pattern: '^[a-z]+-[a-z]+[0-9]+-[a-z]$',
  description: 'The zone, such as us-central1-a; default the server’s config.zone.',
};
const instance: JsonSchema = {
  type: 'string',
  pattern: '^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$',
  description: 'The instance name.',
};
const bucket: JsonSchema = {
  type: 'string',
  pattern: '^[a-z0-9][-a-z0-9_.]{1,220}[a-z0-9]$',
  description: 'The bucket name.',
};
const objectName: JsonSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 1024,
  description: 'The object name (its full path in the bucket, such as reports/2025/q1.csv).',
};
const pageToken: JsonSchema = { type: 'string', maxLength: 2048, description: 'nextPageToken of the previous page.' };
const location: JsonSchema = {
  type: 'string',
  pattern: '^([a-z]+-[a-z]+[0-9]+|-)$',
  description: 'The region, such as us-central1 (`-` for all); default the server’s region.',
};
const fn: JsonSchema = {
  type: 'string',
  pattern: '^[A-Za-z][-A-Za-z0-9_]{0,62}$',
  description: 'The function id (the last part of its name projects/…/locations/…/functions/<id>).',
};

const READ = { readOnlyHint: true, openWorldHint: true } as const;

export const GCP_TOOLS: IntegrationTool[] = [
  {
    name: 'list_instances',
    title: 'List VM instances',
    description:
      'Lists the Compute Engine VM instances of a zone: name, id, status (RUNNING, TERMINATED, …), machine type, internal and external IPs, labels. Filter with Google’s list filter syntax, e.g. `status = RUNNING` or `labels.env = prod`.',
    inputSchema: objectSchema(
      {
        project,
        zone,
        filter: { type: 'string', maxLength: 512, description: 'A Compute list filter expression.' },
        maxResults: { type: 'integer', minimum: 1, maximum: 500, description: 'At most this many (default 100).' },
        pageToken,
      },
      [],
    ),
    annotations: { title: 'List VM instances', ...READ },
  },
  {
    name: 'start_instance',
    title: 'Start a VM instance',
    description:
      'Starts a stopped (TERMINATED) Compute Engine instance. Answers the zone operation Google started and the instance’s status as read right after (STAGING or RUNNING while it boots).',
    inputSchema: objectSchema({ instance, project, zone }, ['instance']),
    annotations: { title: 'Start a VM instance', readOnlyHint: false, idempotentHint: true, openWorldHint: true },
  },
  {
    name: 'stop_instance',
    title: 'Stop a VM instance',
    description:
      'Stops a running Compute Engine instance (a shutdown: its processes end, local SSD data is lost). Answers the zone operation and the instance’s status as read right after (STOPPING, then TERMINATED).',
    inputSchema: objectSchema({ instance, project, zone }, ['instance']),
    annotations: {
      title: 'Stop a VM instance',
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: true,
      openWorldHint: true,
    },
  },
  {
    name: 'list_objects',
    title: 'List Cloud Storage objects',
    description:
      'Lists the objects of a Cloud Storage bucket: name, size in bytes, content type, last update. With a prefix (`logs/2025/`) only the names under it; with delimiter `/` one folder level, the sub-folders as `prefixes`.',
    inputSchema: objectSchema(
      {
        bucket,
        prefix: { type: 'string', maxLength: 1024, description: 'Only objects whose names start with this.' },
        delimiter: { type: 'string', enum: ['/'], description: '`/` to list one folder level.' },
        maxResults: { type: 'integer', minimum: 1, maximum: 1000, description: 'At most this many (default 100).' },
        pageToken,
      },
      ['bucket'],
    ),
    annotations: { title: 'List Cloud Storage objects', ...READ },
  },
  {
    name: 'get_object',
    title: 'Read a Cloud Storage object',
    description: `Reads an object of a Cloud Storage bucket: its content as text (UTF-8 text, JSON, CSV…) or base64 (anything else), at most maxBytes (default 64 KiB, at most ${MAX_OBJECT_BYTES / 1024} KiB; a longer one is cut and marked truncated), with its content type and size.`,
    inputSchema: objectSchema(
      {
        bucket,
        object: objectName,
        maxBytes: {
          type: 'integer',
          minimum: 1,
          maximum: MAX_OBJECT_BYTES,
          description: 'Read at most this many bytes.',
        },
        encoding: {
          type: 'string',
          enum: ['auto', 'text', 'base64'],
          description: 'auto (default): text when the content is UTF-8 text, else base64.',
        },
      },
      ['bucket', 'object'],
    ),
    annotations: { title: 'Read a Cloud Storage object', ...READ },
  },
  {
    name: 'put_object',
    title: 'Write a Cloud Storage object',
    description: `Writes an object to a Cloud Storage bucket from text or base64 content (at most ${MAX_OBJECT_BYTES / 1024} KiB), with its content type. It refuses to replace an existing object (412) unless overwrite is true.`,
    inputSchema: objectSchema(
      {
        bucket,
        object: objectName,
        content: { type: 'string', maxLength: Math.ceil(MAX_OBJECT_BYTES / 3) * 4, description: 'The content.' },
        encoding: { type: 'string', enum: ['text', 'base64'], description: 'How content is given (default text).' },
        contentType: {
          type: 'string',
          pattern: '^[a-z]+/[-+.a-zA-Z0-9]+(; ?[-a-zA-Z0-9]+=[-a-zA-Z0-9.]+)?$',
          maxLength: 128,
          description:
            'The MIME type (default text/plain; charset=utf-8 for text, application/octet-stream for base64).',
        },
        overwrite: { type: 'boolean', description: 'Replace an object of that name (default false).' },
      },
      ['bucket', 'object', 'content'],
    ),
    annotations: {
      title: 'Write a Cloud Storage object',
      readOnlyHint: false,
      destructiveHint: true,
      openWorldHint: true,
    },
  },
  {
    name: 'list_functions',
    title: 'List Cloud Functions',
    description:
      'Lists the Cloud Functions of a region (`-` for all regions): id, full name, state (ACTIVE, FAILED, DEPLOYING…), generation (GEN_1, GEN_2), runtime, entry point, HTTPS url, last update.',
    inputSchema: objectSchema(
      {
        project,
        location,
        filter: { type: 'string', maxLength: 512, description: 'An AIP-160 filter, e.g. `state = "ACTIVE"`.' },
        pageSize: { type: 'integer', minimum: 1, maximum: 1000, description: 'At most this many (default 100).' },
        pageToken,
      },
      [],
    ),
    annotations: { title: 'List Cloud Functions', ...READ },
  },
  {
    name: 'call_function',
    title: 'Call a Cloud Function',
    description:
      'Calls a deployed 1st gen Cloud Function synchronously with a string of data (Cloud Functions v1 functions.call, meant for tests: Google allows 16 calls per 100 s). Answers the execution id and the function’s result, or the error it raised. Its effects are the function’s own.',
    inputSchema: objectSchema(
      {
        function: fn,
        data: {
          type: 'string',
          maxLength: 65536,
          description: 'The input passed to the function (often JSON text).',
        },
        project,
        location: { ...location, pattern: '^[a-z]+-[a-z]+[0-9]+$', description: 'The region; default the server’s.' },
      },
      ['function'],
    ),
    annotations: { title: 'Call a Cloud Function', readOnlyHint: false, destructiveHint: false, openWorldHint: true },
  },
];
