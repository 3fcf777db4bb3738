import { specTypeSchemas } from '@modelcontextprotocol/server';
import { InvalidInputError } from '../../core/errors.js';

// The requests this endpoint serves. The SDK checks their params too, but answers a mismatch with
// -32603 and the whole validation dump; checked here first, it is -32602 with one short line.
const SCHEMAS = {
  initialize: specTypeSchemas.InitializeRequest,
  ping: specTypeSchemas.PingRequest,
  'server/discover': specTypeSchemas.DiscoverRequest,
  'tools/list': specTypeSchemas.ListToolsRequest,
  'tools/call': specTypeSchemas.CallToolRequest,
} as const;

const MAX_MESSAGE = 200;

/**
 * Throws an InvalidInputError (-32602 on /mcp) for the first request in a JSON-RPC message or batch whose
 * params break the MCP schema of its method. Anything that is not such a request is left to the SDK.
 * (It runs before the SDK's own checks: it reads the body only, and touches no policy or invocation.)
 */
export function assertMcpParams(body: unknown): void {
  for (const message of Array.isArray(body) ? body : [body]) {
    const method = (message as { method?: unknown } | null)?.method;
    if (typeof method !== 'string' || !Object.hasOwn(SCHEMAS, method)) continue;
    const { issues } = SCHEMAS[method as keyof typeof SCHEMAS]['~standard'].validate(message);
    if (!issues) continue;
    const issue = issues[0];
    const path = (issue?.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p));
    const where = path.length ? `${path.join('.')}: ` : '';
    const text = `Invalid params for ${method}: ${where}${issue?.message ?? 'invalid'}`;
    throw new InvalidInputError(
      'invalid_params',
      text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text,
      { method },
    );
  }
}
