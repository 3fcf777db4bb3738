import { GetObjectCommand, ListBucketsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { ToolHandler } from '../server/handler.js';
import type { AwsClients } from './aws-clients.js';
import { DEFAULT_OBJECT_READ_BYTES } from './aws-tools.js';

type Handler = ToolHandler<AwsClients>;

const DEFAULT_MAX_BUCKETS = 1000;
const TEXT_DEFAULT_TYPE = 'text/plain; charset=utf-8';
const BINARY_DEFAULT_TYPE = 'application/octet-stream';

/** Content types whose bytes an agent reads as text; any other is answered as base64. */
export function isTextType(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type.startsWith('text/')) return true;
  const [top, sub = ''] = type.split('/');
  if (top !== 'application') return false;
  return /(^|[+.-])(json|xml|yaml|x-yaml|csv|javascript|ecmascript|toml|sql|graphql|x-ndjson|ndjson)$/.test(sub);
}

/** At most `max` bytes of a body stream, and whether it had more (the rest is not downloaded). */
export async function readAtMost(
  body: AsyncIterable<Uint8Array>,
  max: number,
): Promise<{ bytes: Buffer; more: boolean }> {
  const chunks: Buffer[] = [];
  let n = 0;
  let more = false;
  // Leaving the loop early destroys the stream, which closes its connection.
  for await (const chunk of body) {
    const room = max - n;
    if (chunk.length > room) {
      chunks.push(Buffer.from(chunk.subarray(0, room)));
      n += room;
      more = true;
      break;
    }
    chunks.push(Buffer.from(chunk));
    n += chunk.length;
  }
  return { bytes: Buffer.concat(chunks, n), more };
}

/** UTF-8 text of bytes that may end inside a character (a cut object): the partial character is dropped. */
export const utf8Prefix = (bytes: Uint8Array): string => new TextDecoder('utf-8').decode(bytes, { stream: true });

export const listBuckets: Handler = async (args, { client, signal }) => {
  const out = await client.s3.send(
    new ListBucketsCommand({
      MaxBuckets: (args.maxBuckets as number | undefined) ?? DEFAULT_MAX_BUCKETS,
      ContinuationToken: args.continuationToken as string | undefined,
      Prefix: args.prefix as string | undefined,
    }),
    { abortSignal: signal },
  );
  return {
    buckets: (out.Buckets ?? []).map((b) => ({
      name: b.Name,
      creationDate: b.CreationDate?.toISOString(),
      region: b.BucketRegion,
    })),
    ...(out.ContinuationToken ? { continuationToken: out.ContinuationToken } : {}),
  };
};

export const getObject: Handler = async (args, { client, signal }) => {
  const bucket = args.bucket as string;
  const key = args.key as string;
  const max = (args.maxBytes as number | undefined) ?? DEFAULT_OBJECT_READ_BYTES;
  const out = await client.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
  const { bytes, more } = out.Body
    ? await readAtMost(out.Body as AsyncIterable<Uint8Array>, max)
    : { bytes: Buffer.alloc(0), more: false };
  const size = out.ContentLength ?? bytes.length;
  const text = isTextType(out.ContentType);
  return {
    bucket,
    key,
    contentType: out.ContentType,
    size,
    eTag: out.ETag,
    lastModified: out.LastModified?.toISOString(),
    ...(text ? { text: utf8Prefix(bytes) } : { base64: bytes.toString('base64') }),
    returnedBytes: bytes.length,
    truncated: more || size > bytes.length,
  };
};

export const putObject: Handler = async (args, { client, signal }) => {
  const bucket = args.bucket as string;
  const key = args.key as string;
  const text = args.text as string | undefined;
  const base64 = args.base64 as string | undefined;
  if ((text === undefined) === (base64 === undefined))
    throw new Error('put_object takes the content as `text` or as `base64`, exactly one of them');
  const body = text !== undefined ? Buffer.from(text, 'utf8') : Buffer.from(base64!, 'base64');
  const contentType =
    (args.contentType as string | undefined) ?? (text !== undefined ? TEXT_DEFAULT_TYPE : BINARY_DEFAULT_TYPE);
  const out = await client.s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: body,
      ContentType: contentType,
      ContentLength: body.length,
    }),
    { abortSignal: signal },
  );
  return { bucket, key, size: body.length, contentType, eTag: out.ETag, versionId: out.VersionId };
};
