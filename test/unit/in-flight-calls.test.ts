import { describe, expect, it } from 'vitest';
import { InFlightCalls } from '../../api/mcp-endpoint/in-flight.js';

const toolsCall = (id: number | string) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'x' } });
const cancelled = (requestId: number | string) => ({
  jsonrpc: '2.0',
  method: 'notifications/cancelled',
  params: { requestId },
});

describe('InFlightCalls', () => {
  it('aborts the call a notifications/cancelled names, for the same key only', () => {
    const calls = new InFlightCalls();
    const mine = new AbortController();
    calls.track('key-a', toolsCall(7), mine);
    calls.cancel('key-b', cancelled(7));
    expect(mine.signal.aborted).toBe(false);
    calls.cancel('key-a', [cancelled(8)]);
    expect(mine.signal.aborted).toBe(false);
    calls.cancel('key-a', [{ jsonrpc: '2.0', method: 'ping', id: 1 }, cancelled(7)]);
    expect(mine.signal.aborted).toBe(true);
  });

  it('forgets a call once it was answered, and tracks nothing but tools/call requests', () => {
    const calls = new InFlightCalls();
    const done = new AbortController();
    calls.track('k', toolsCall('a'), done)();
    calls.cancel('k', cancelled('a'));
    expect(done.signal.aborted).toBe(false);
    const listing = new AbortController();
    calls.track('k', { jsonrpc: '2.0', id: 2, method: 'tools/list' }, listing);
    calls.cancel('k', cancelled(2));
    expect(listing.signal.aborted).toBe(false);
  });
});
