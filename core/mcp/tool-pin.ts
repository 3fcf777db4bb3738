import { canonicalHash } from '../canonical-json.js';
import type { ToolDefinition } from './client-pool.js';

/**
 * The pin of a tool: a hash over everything a model or a caller relies on (name, title, description,
 * input and output schema, annotations). A server serving a different definition breaks the pin.
 */
export function toolDefinitionHash(tool: ToolDefinition | Record<string, unknown>): string {
  const t = tool as ToolDefinition;
  return `sha256:${canonicalHash({
    name: t.name,
    title: t.title ?? null,
    description: t.description ?? null,
    inputSchema: t.inputSchema ?? null,
    outputSchema: t.outputSchema ?? null,
    annotations: t.annotations ?? null,
  })}`;
}
