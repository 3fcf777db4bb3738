/** Cloud Functions tools: list a region's functions (v2, both generations) and call one (v1 functions.call). */
import type { ToolHandler } from '../server/handler.js';
import { compact, type GcpClient } from './gcp-client.js';

interface CloudFunction {
  name?: string;
  description?: string;
  state?: string;
  environment?: string;
  url?: string;
  updateTime?: string;
  buildConfig?: { runtime?: string; entryPoint?: string };
  serviceConfig?: { uri?: string };
}

export function functionView(f: CloudFunction): Record<string, unknown> {
  return compact({
    id: f.name?.split('/').at(-1),
    name: f.name,
    state: f.state,
    generation: f.environment,
    runtime: f.buildConfig?.runtime,
    entryPoint: f.buildConfig?.entryPoint,
    url: f.url ?? f.serviceConfig?.uri,
    description: f.description,
    updated: f.updateTime,
  });
}

const seg = encodeURIComponent;

export const listFunctions: ToolHandler<GcpClient> = async (args, { client, signal }) => {
  const project = client.project(args.project);
  const location = client.region(args.location);
  const list = await client.call<{ functions?: CloudFunction[]; nextPageToken?: string; unreachable?: string[] }>(
    'functions',
    {
      path: `/v2/projects/${seg(project)}/locations/${seg(location)}/functions`,
      query: {
        filter: args.filter as string | undefined,
        pageSize: (args.pageSize as number | undefined) ?? 100,
        pageToken: args.pageToken as string | undefined,
      },
      signal,
    },
  );
  return compact({
    functions: (list.functions ?? []).map(functionView),
    nextPageToken: list.nextPageToken,
    unreachable: list.unreachable?.length ? list.unreachable : undefined,
  });
};

export const callFunction: ToolHandler<GcpClient> = async (args, { client, signal }) => {
  const name = `projects/${seg(client.project(args.project))}/locations/${seg(client.region(args.location))}/functions/${seg(String(args.function))}`;
  const answer = await client.call<{ executionId?: string; result?: string; error?: string }>('functions', {
    method: 'POST',
    path: `/v1/${name}:call`,
    json: args.data !== undefined ? { data: args.data } : {},
    signal,
  });
  return compact({
    function: name,
    executionId: answer.executionId,
    result: answer.result,
    error: answer.error,
    succeeded: answer.error === undefined || answer.error === '',
  });
};
