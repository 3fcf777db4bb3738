import { InvokeCommand, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import type { ToolHandler } from '../server/handler.js';
import type { AwsClients } from './aws-clients.js';
import { MAX_PAYLOAD_TEXT, MAX_PUT_CHARS } from './aws-tools.js';
import { utf8Prefix } from './aws-s3.js';

type Handler = ToolHandler<AwsClients>;

const DEFAULT_MAX_ITEMS = 50;

export const listFunctions: Handler = async (args, { client, signal }) => {
  const out = await client.lambda.send(
    new ListFunctionsCommand({
      MaxItems: (args.maxItems as number | undefined) ?? DEFAULT_MAX_ITEMS,
      Marker: args.marker as string | undefined,
    }),
    { abortSignal: signal },
  );
  return {
    functions: (out.Functions ?? []).map((f) => ({
      name: f.FunctionName,
      arn: f.FunctionArn,
      runtime: f.Runtime,
      handler: f.Handler,
      description: f.Description || undefined,
      memorySize: f.MemorySize,
      timeout: f.Timeout,
      lastModified: f.LastModified,
      state: f.State,
    })),
    ...(out.NextMarker ? { nextMarker: out.NextMarker } : {}),
  };
};

export const invokeFunction: Handler = async (args, { client, signal }) => {
  const event = JSON.stringify(args.payload === undefined ? {} : args.payload);
  if (event.length > MAX_PUT_CHARS) throw new Error(`the payload is larger than ${MAX_PUT_CHARS} characters as JSON`);
  const out = await client.lambda.send(
    new InvokeCommand({
      FunctionName: args.functionName as string,
      Qualifier: args.qualifier as string | undefined,
      InvocationType: 'RequestResponse',
      LogType: args.logTail === true ? 'Tail' : 'None',
      Payload: Buffer.from(event, 'utf8'),
    }),
    { abortSignal: signal },
  );
  const bytes = out.Payload ?? new Uint8Array();
  // A character is at most 4 bytes: this many bytes hold the bounded text, whatever it is.
  const text = utf8Prefix(bytes.subarray(0, MAX_PAYLOAD_TEXT * 4));
  const cut = text.length > MAX_PAYLOAD_TEXT || bytes.length > MAX_PAYLOAD_TEXT * 4;
  return {
    functionName: args.functionName,
    statusCode: out.StatusCode,
    ...(out.FunctionError ? { functionError: out.FunctionError } : {}),
    ...(out.ExecutedVersion ? { executedVersion: out.ExecutedVersion } : {}),
    payload: cut ? text.slice(0, MAX_PAYLOAD_TEXT) : text,
    payloadTruncated: cut,
    ...(out.LogResult ? { logTail: Buffer.from(out.LogResult, 'base64').toString('utf8') } : {}),
  };
};
