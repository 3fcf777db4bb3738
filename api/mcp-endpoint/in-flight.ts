/**
 * tools/call requests in flight on this API process, by caller key and JSON-RPC id. A stateless endpoint
 * serves each POST with a fresh MCP server, so a 2025-era client's `notifications/cancelled` (a POST of its
 * own) would reach no handler: this is how it finds the call it cancels. Scoped to the caller's API key, so
 * no one can cancel another key's calls.
 */
export class InFlightCalls {
  private readonly calls = new Map<string, AbortController>();

  /** Registers the call `message` is (if it is a tools/call with an id); the returned function forgets it. */
  track(keyId: string, message: unknown, controller: AbortController): () => void {
    const id = idOf(message, 'tools/call');
    if (id === undefined) return () => undefined;
    const key = `${keyId}\u0000${id}`;
    this.calls.set(key, controller);
    return () => {
      if (this.calls.get(key) === controller) this.calls.delete(key);
    };
  }

  /** Aborts the calls the notifications/cancelled messages in `body` name, for this key only. */
  cancel(keyId: string, body: unknown): void {
    for (const message of Array.isArray(body) ? body : [body]) {
      const m = message as { method?: unknown; params?: { requestId?: unknown } } | null;
      if (m?.method !== 'notifications/cancelled') continue;
      const requestId = m.params?.requestId;
      if (typeof requestId !== 'string' && typeof requestId !== 'number') continue;
      this.calls.get(`${keyId}\u0000${requestId}`)?.abort();
    }
  }
}

function idOf(message: unknown, method: string): string | number | undefined {
  const m = message as { method?: unknown; id?: unknown } | null;
  if (m?.method !== method) return undefined;
  return typeof m.id === 'string' || typeof m.id === 'number' ? m.id : undefined;
}
