// What the inbound MCP endpoint lists and answers in each protocol era (pure functions; the real path is in
// test/integration/mcp-eras.test.ts).
import { describe, expect, it } from 'vitest';
import { invocationResult, refusalResult } from '../../api/mcp-endpoint/results.js';
import { capabilityTools, listedTools } from '../../api/mcp-endpoint/tools.js';
import type { AgentWithCapabilities } from '../../core/db/agent.repository.js';
import type { InvocationRow } from '../../core/db/rows.js';
import { AppError } from '../../core/errors.js';

const OUTPUT = { type: 'object', properties: { sum: { type: 'number' } }, required: ['sum'] };
const capability = (name: string, outputSchema?: object) => ({
  name,
  tool: name,
  risk: 'low',
  description: null,
  tool_definition: { name, inputSchema: { type: 'object' }, ...(outputSchema ? { outputSchema } : {}) },
});
const agent = (name: string, caps: ReturnType<typeof capability>[]) =>
  ({ id: `${name}-id`, name, capabilities: caps }) as unknown as AgentWithCapabilities;

const row = (status: InvocationRow['status'], extra: Partial<InvocationRow> = {}) =>
  ({ id: 'inv-1', status, approval_id: 'appr-1', result: null, error: null, ...extra }) as InvocationRow;

describe('listedTools', () => {
  const catalog = capabilityTools(
    [agent('zeta', [capability('b'), capability('a', OUTPUT)]), agent('alpha', [capability('c')])],
    'org',
  );

  it('sorts a 2026-07-28 list by name and keeps each outputSchema', () => {
    const tools = listedTools(catalog, 'modern');
    expect(tools.map((t) => t.name)).toEqual(['alpha__c', 'collexa_invocation_status', 'zeta__a', 'zeta__b']);
    expect(tools.find((t) => t.name === 'zeta__a')!.outputSchema).toEqual(OUTPUT);
  });

  it('keeps the catalog order for 2025 clients and shows them no outputSchema', () => {
    const tools = listedTools(catalog, 'legacy');
    expect(tools.map((t) => t.name)).toEqual(['zeta__b', 'zeta__a', 'alpha__c', 'collexa_invocation_status']);
    expect(tools.some((t) => 'outputSchema' in t)).toBe(false);
  });
});

describe('results that must conform to an outputSchema', () => {
  const conform = { conform: true };

  it('pass the tool’s own result through', () => {
    const done = row('succeeded', { result: { content: [], structuredContent: { sum: 3 } } });
    expect(invocationResult(done, conform)).toEqual(invocationResult(done));
    expect(invocationResult(done, conform).structuredContent).toEqual({ sum: 3 });
  });

  it('answer a pending call as an error result with Collexa’s object in _meta', () => {
    const r = invocationResult(row('pending_approval'), conform);
    expect(r.isError).toBe(true);
    expect(r.structuredContent).toBeUndefined();
    expect(r._meta).toEqual({
      'collexa/invocationId': 'inv-1',
      'collexa/status': 'pending_approval',
      'collexa/details': { status: 'pending_approval', invocationId: 'inv-1', approvalId: 'appr-1' },
    });
    expect(invocationResult(row('pending_approval')).isError).toBeUndefined();
  });

  it('move a failure’s and a refusal’s details out of structuredContent', () => {
    const failed = invocationResult(row('failed', { error: { code: 'tool_error', message: 'boom' } }), conform);
    expect(failed).toMatchObject({ isError: true, _meta: { 'collexa/details': { error: { code: 'tool_error' } } } });
    expect(failed.structuredContent).toBeUndefined();
    const refused = refusalResult(new AppError('conflict', 409, 'key reused', {}), conform);
    expect(refused).toMatchObject({ isError: true, _meta: { 'collexa/details': { error: { code: 'conflict' } } } });
    expect(refused.structuredContent).toBeUndefined();
  });
});
