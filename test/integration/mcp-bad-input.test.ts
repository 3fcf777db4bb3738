// Bad input on the MCP endpoints answers JSON-RPC -32602 with one short line (never -32603 with the
// validation dump or internals); a body that is not JSON is -32700.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatform } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';

let api: Awaited<ReturnType<typeof startPlatform>>;
let key: string;
beforeAll(async () => {
  api = await startPlatform({ worker: 'none' });
  key = (await createOrg(api.db, 'mcp-bad-input')).adminKey;
});
afterAll(() => api.stop());

const post = (path: string, body: string) =>
  call(`${api.url}${path}`, {
    method: 'POST',
    key,
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body,
  });
const rpc = (method: string, params: unknown) => JSON.stringify({ jsonrpc: '2.0', id: 7, method, params });

function expectJsonRpcError(r: Awaited<ReturnType<typeof call>>, code: number, message: RegExp, id: number | null = 7) {
  expect(r.status, r.text).toBe(400);
  expect(r.headers.get('content-type')).toMatch(/application\/json/);
  expect(r.json).toMatchObject({ jsonrpc: '2.0', id, error: { code, message: expect.stringMatching(message) } });
  expect(r.json.error.message.length).toBeLessThanOrEqual(200);
  expect(r.json.error.message).not.toMatch(/\n|"expected"|"path"|at .*\.ts:\d+/);
}

const agentPath = () => `/mcp/${randomUUID()}`;

describe('/mcp and /mcp/:agentId with bad input', () => {
  it('answers params that break the MCP schema with -32602 and the one failing field', async () => {
    expectJsonRpcError(
      await post('/mcp', rpc('tools/list', { cursor: 5 })),
      -32602,
      /^Invalid params for tools\/list: params\.cursor: /,
    );
    expectJsonRpcError(
      await post('/mcp', rpc('tools/call', { name: 5 })),
      -32602,
      /^Invalid params for tools\/call: params\.name: /,
    );
    expectJsonRpcError(
      await post('/mcp', rpc('initialize', { protocolVersion: 1 })),
      -32602,
      /^Invalid params for initialize: /,
    );
  });

  it.each([
    [
      'a NUL in the arguments',
      rpc('tools/call', { name: 'x', arguments: { s: 'a\u0000' } }),
      /NUL character at params\.arguments\.s/,
    ],
    ['a lone surrogate', rpc('tools/call', { name: 'x', arguments: { s: 'a\ud800' } }), /lone UTF-16 surrogate/],
    [
      'JSON 100 levels deep',
      rpc('tools/call', { name: 'x', arguments: { s: JSON.parse(`${'['.repeat(100)}${']'.repeat(100)}`) } }),
      /deeper than 64 levels/,
    ],
  ])('answers %s with -32602 on both endpoints', async (_what, body, message) => {
    expectJsonRpcError(await post('/mcp', body), -32602, message);
    expectJsonRpcError(await post(agentPath(), body), -32602, message);
  });

  it('answers a malformed percent-escape in the agent id with -32602 (checked before the body is read: no id)', async () => {
    expectJsonRpcError(await post('/mcp/%E0%A4%A', rpc('tools/list', {})), -32602, /malformed percent-escape/, null);
  });

  it('answers a body that is not JSON with -32700', async () => {
    expectJsonRpcError(await post('/mcp', '{"jsonrpc":'), -32700, /^Parse error/, null);
  });

  it('still serves a well-formed initialize', async () => {
    const r = await post(
      '/mcp',
      rpc('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } }),
    );
    expect(r.status, r.text).toBe(200);
    expect(r.text).toContain('"serverInfo"');
  });
});
