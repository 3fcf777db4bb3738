/** Compute Engine tools: list, start and stop the VM instances of a zone (compute v1). */
import type { ToolHandler } from '../server/handler.js';
import { compact, type GcpClient } from './gcp-client.js';

interface Instance {
  id?: string;
  name?: string;
  status?: string;
  statusMessage?: string;
  machineType?: string;
  zone?: string;
  labels?: Record<string, string>;
  creationTimestamp?: string;
  lastStartTimestamp?: string;
  lastStopTimestamp?: string;
  networkInterfaces?: Array<{ networkIP?: string; accessConfigs?: Array<{ natIP?: string }> }>;
}

interface Operation {
  name?: string;
  operationType?: string;
  status?: string;
  progress?: number;
  targetLink?: string;
  error?: { errors?: Array<{ code?: string; message?: string }> };
}

const lastPart = (url: string | undefined) => url?.split('/').at(-1);

/** What an agent needs of an instance: its name, state, size and addresses. */
export function instanceView(i: Instance): Record<string, unknown> {
  const nics = i.networkInterfaces ?? [];
  return compact({
    name: i.name,
    id: i.id,
    status: i.status,
    statusMessage: i.statusMessage,
    machineType: lastPart(i.machineType),
    zone: lastPart(i.zone),
    internalIps: nics.flatMap((n) => (n.networkIP ? [n.networkIP] : [])),
    externalIps: nics.flatMap((n) => (n.accessConfigs ?? []).flatMap((a) => (a.natIP ? [a.natIP] : []))),
    labels: i.labels,
    createdAt: i.creationTimestamp,
    lastStartedAt: i.lastStartTimestamp,
    lastStoppedAt: i.lastStopTimestamp,
  });
}

function operationView(op: Operation): Record<string, unknown> {
  return compact({
    name: op.name,
    type: op.operationType,
    status: op.status,
    progress: op.progress,
    target: op.targetLink,
    errors: op.error?.errors?.map((e) => compact({ code: e.code, message: e.message })),
  });
}

const instancesPath = (c: GcpClient, args: Record<string, unknown>) =>
  `/compute/v1/projects/${encodeURIComponent(c.project(args.project))}/zones/${encodeURIComponent(c.zone(args.zone))}/instances`;

export const listInstances: ToolHandler<GcpClient> = async (args, { client, signal }) => {
  const list = await client.call<{ items?: Instance[]; nextPageToken?: string }>('compute', {
    path: instancesPath(client, args),
    query: {
      filter: args.filter as string | undefined,
      maxResults: (args.maxResults as number | undefined) ?? 100,
      pageToken: args.pageToken as string | undefined,
    },
    signal,
  });
  return compact({ instances: (list.items ?? []).map(instanceView), nextPageToken: list.nextPageToken });
};

/** start or stop: the operation Google began, then the instance as it reads right after. */
function instanceAction(action: 'start' | 'stop'): ToolHandler<GcpClient> {
  return async (args, { client, signal }) => {
    const path = `${instancesPath(client, args)}/${encodeURIComponent(String(args.instance))}`;
    const op = await client.call<Operation>('compute', { method: 'POST', path: `${path}/${action}`, signal });
    const instance = await client.call<Instance>('compute', { path, signal });
    return { operation: operationView(op), instance: compact({ name: instance.name, status: instance.status }) };
  };
}

export const startInstance = instanceAction('start');
export const stopInstance = instanceAction('stop');
