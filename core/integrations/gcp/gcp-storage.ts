/** Cloud Storage tools (JSON API v1): list a bucket's objects, read one (bounded), write one (media upload). */
import type { ToolHandler } from '../server/handler.js';
import { VendorError } from '../server/vendor-error.js';
import { compact, type GcpClient } from './gcp-client.js';
import { VENDOR } from './gcp-errors.js';
import { MAX_OBJECT_BYTES } from './gcp-tools.js';

interface StorageObject {
  name?: string;
  bucket?: string;
  size?: string;
  contentType?: string;
  updated?: string;
  generation?: string;
  md5Hash?: string;
}

const DEFAULT_READ_BYTES = 64 * 1024;

export function objectView(o: StorageObject): Record<string, unknown> {
  return compact({
    name: o.name,
    size: o.size !== undefined ? Number(o.size) : undefined,
    contentType: o.contentType,
    updated: o.updated,
    generation: o.generation,
    md5Hash: o.md5Hash,
  });
}

// An object's name is one path segment of the JSON API: its slashes too are escaped.
const objectPath = (bucket: unknown, object: unknown) =>
  `/storage/v1/b/${encodeURIComponent(String(bucket))}/o/${encodeURIComponent(String(object))}`;

export const listObjects: ToolHandler<GcpClient> = async (args, { client, signal }) => {
  const list = await client.call<{ items?: StorageObject[]; prefixes?: string[]; nextPageToken?: string }>('storage', {
    path: `/storage/v1/b/${encodeURIComponent(String(args.bucket))}/o`,
    query: {
      prefix: args.prefix as string | undefined,
      delimiter: args.delimiter as string | undefined,
      maxResults: (args.maxResults as number | undefined) ?? 100,
      pageToken: args.pageToken as string | undefined,
    },
    signal,
  });
  return compact({
    bucket: args.bucket,
    objects: (list.items ?? []).map(objectView),
    prefixes: list.prefixes,
    nextPageToken: list.nextPageToken,
  });
};

export const getObject: ToolHandler<GcpClient> = async (args, { client, signal }) => {
  const maxBytes = Math.min((args.maxBytes as number | undefined) ?? DEFAULT_READ_BYTES, MAX_OBJECT_BYTES);
  const path = objectPath(args.bucket, args.object);
  const meta = await client.call<StorageObject>('storage', { path, signal });
  const size = Number(meta.size ?? 0);
  const truncated = size > maxBytes;
  // Only the bytes asked for cross the wire: a range when the object is larger.
  const { bytes } =
    size === 0
      ? { bytes: Buffer.alloc(0) }
      : await client.bytes('storage', {
          path,
          query: { alt: 'media', generation: meta.generation },
          headers: truncated ? { range: `bytes=0-${maxBytes - 1}` } : {},
          signal,
        });
  const read = bytes.subarray(0, maxBytes);
  const asked = (args.encoding as 'auto' | 'text' | 'base64' | undefined) ?? 'auto';
  const text = asked === 'base64' ? undefined : asked === 'text' ? read.toString('utf8') : utf8Text(read, truncated);
  return compact({
    ...objectView(meta),
    bucket: args.bucket,
    encoding: text !== undefined ? 'text' : 'base64',
    content: text ?? read.toString('base64'),
    bytesRead: read.length,
    truncated,
  });
};

export const putObject: ToolHandler<GcpClient> = async (args, { client, signal }) => {
  const base64 = args.encoding === 'base64';
  const content = String(args.content);
  if (base64 && !/^[A-Za-z0-9+/]*={0,2}$/.test(content))
    throw new VendorError(VENDOR, 400, 'invalid_content', `${VENDOR}: content is not base64`);
  const data = Buffer.from(content, base64 ? 'base64' : 'utf8');
  if (data.length > MAX_OBJECT_BYTES)
    throw new VendorError(VENDOR, 400, 'content_too_large', `${VENDOR}: content is over ${MAX_OBJECT_BYTES} bytes`);
  const type =
    (args.contentType as string | undefined) ?? (base64 ? 'application/octet-stream' : 'text/plain; charset=utf-8');
  const written = await client.call<StorageObject>('storage', {
    method: 'POST',
    path: `/upload/storage/v1/b/${encodeURIComponent(String(args.bucket))}/o`,
    // ifGenerationMatch=0: only if no live object has that name (Google answers 412 otherwise).
    query: {
      uploadType: 'media',
      name: String(args.object),
      ifGenerationMatch: args.overwrite === true ? undefined : 0,
    },
    body: { data, type },
    signal,
  });
  return { ...objectView(written), bucket: args.bucket };
};

/**
 * The bytes as text when they are UTF-8 without control characters other than tabs and line breaks; a
 * read cut mid-character may end in up to three bytes of an incomplete one.
 */
export function utf8Text(bytes: Buffer, cut: boolean): string | undefined {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (let drop = 0; drop <= (cut ? 3 : 0) && drop <= bytes.length; drop++) {
    let text: string;
    try {
      text = decoder.decode(bytes.subarray(0, bytes.length - drop));
    } catch {
      continue;
    }
    // eslint-disable-next-line no-control-regex -- control characters are what tells binary from text
    return /[\u0000-\u0008\u000b\u000e-\u001f\u007f]/.test(text) ? undefined : text;
  }
  return undefined;
}
