import {
  CallToolRequestSchema,
  InitializeRequestSchema,
  ListToolsRequestSchema,
  PingRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { InvalidInputError } from '../../core/errors.js';

// The requests this endpoint serves. The SDK checks their params too, but answers a mismatch with
// -32603 and the whole validation dump; checked here first, it is -32602 with one short line.
const SCHEMAS = {
  initialize: InitializeRequestSchema,
  ping: PingRequestSchema,
  'tools/list': ListToolsRequestSchema,
  'tools/call': CallToolRequestSchema,
} as const;

const MAX_MESSAGE = 200;

/**
 * Throws an InvalidInputError (-32602 on /mcp) for the first request in a JSON-RPC message or batch whose
 * params break the MCP schema of its method. Anything that is not such a request is left to the transport.
 */
export function assertMcpParams(body: unknown): void {
  for (const message of Array.isArray(body) ? body : [body]) {
    const method = (message as { method?: unknown } | null)?.method;
    if (typeof method !== 'string' || !Object.hasOwn(SCHEMAS, method)) continue;
    const parsed = SCHEMAS[method as keyof typeof SCHEMAS].safeParse(message);
    if (parsed.success) continue;
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    const text = `Invalid params for ${method}: ${where}${issue?.message ?? 'invalid'}`;
    throw new InvalidInputError(
      'invalid_params',
      text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text,
      { method },
    );
  }
}
