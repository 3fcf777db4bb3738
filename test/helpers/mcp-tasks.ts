import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import {
  createTaskSessionFromClient,
  type RawClientDispatch,
  type TaskEnabledSession,
} from '@modelcontextprotocol/ext-tasks/client';

export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';
const CLIENT_INFO = { name: 'collexa-tasks-test', version: '1.0.0' };

// The request field each method's Mcp-Name header repeats (2026-07-28 Streamable HTTP).
const NAME_FIELD: Record<string, string> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  'tasks/get': 'taskId',
  'tasks/update': 'taskId',
  'tasks/cancel': 'taskId',
};

/**
 * The host's raw 2026-07-28 dispatch ext-tasks asks for (the SDK v2 client's codec refuses task traffic on
 * a modern connection): one JSON-RPC POST with the headers the spec requires, its answer read from JSON
 * or from the SSE stream. What any host using ext-tasks writes; nothing Collexa-specific.
 */
export function rawDispatch(url: string, key: string): RawClientDispatch {
  let next = 1;
  return async (request, options) => {
    const body = { jsonrpc: '2.0', id: `raw-${next++}`, ...(request as Record<string, unknown>) } as unknown as {
      id: string;
      method: string;
      params?: Record<string, unknown> & { _meta?: Record<string, unknown> };
    };
    const field = NAME_FIELD[body.method];
    const name = field ? body.params?.[field] : undefined;
    // A Headers object, so ext-tasks' own headers (Mcp-Name among them) replace ours whatever their case.
    const headers = new Headers({
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${key}`,
      'mcp-protocol-version': String(body.params?._meta?.['io.modelcontextprotocol/protocolVersion']),
      'mcp-method': body.method,
    });
    // Non-ASCII names would go as =?base64?...?=; every name here is ASCII.
    if (typeof name === 'string') headers.set('mcp-name', name);
    for (const [k, v] of Object.entries(options?.context?.headers ?? {})) headers.set(k, v);
    const res = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      ...(options?.signal ? { signal: options.signal } : {}),
    });
    const text = await res.text();
    const messages = (res.headers.get('content-type') ?? '').includes('text/event-stream')
      ? text
          .split('\n')
          .filter((line) => line.startsWith('data: '))
          .map((line) => JSON.parse(line.slice(6)) as { id?: unknown })
      : [JSON.parse(text) as { id?: unknown }];
    const answer = messages.find((m) => m.id === body.id) as
      { result?: Record<string, unknown>; error?: { code: number; message: string } } | undefined;
    if (!answer) throw new Error(`no answer to ${body.method} (HTTP ${res.status}): ${text.slice(0, 300)}`);
    return answer.error
      ? ({ kind: 'error', error: answer.error } as never)
      : ({ kind: 'result', result: answer.result } as never);
  };
}

/**
 * A stock MCP requester with tasks: the SDK v2 client in the era asked for (2026-07-28 declaring the
 * tasks extension; 2025-11-25 with the task capability) and an ext-tasks session over it.
 */
export async function taskRequester(
  url: string,
  key: string,
  era: 'modern' | 'legacy',
): Promise<{ client: Client; session: TaskEnabledSession; close: () => Promise<void> }> {
  const client = new Client(
    CLIENT_INFO,
    era === 'modern'
      ? { versionNegotiation: { mode: 'auto' }, capabilities: { extensions: { [TASKS_EXTENSION]: {} } } }
      : { capabilities: { tasks: { list: {}, cancel: {} } } },
  );
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${key}` } } }),
  );
  if (client.getProtocolEra() !== era) throw new Error(`expected the ${era} era, got ${client.getProtocolEra()}`);
  const endpointId = `collexa-test-${era}-${url}`;
  const session =
    era === 'modern'
      ? createTaskSessionFromClient(client, {
          endpointId,
          rawDispatch: rawDispatch(url, key),
          v2RequestFraming: { protocolVersion: '2026-07-28', clientInfo: CLIENT_INFO, clientCapabilities: {} },
        })
      : createTaskSessionFromClient(client, { endpointId });
  return {
    client,
    session,
    async close() {
      await session.close().catch(() => undefined);
      await client.close().catch(() => undefined);
    },
  };
}
