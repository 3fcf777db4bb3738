import type { AgentWithCapabilities } from '../../core/db/agent.repository.js';
import { iso } from './iso.js';

/** An agent with its capabilities, each naming its server (by id and, when known, name). */
export function agentView(a: AgentWithCapabilities, serverNames: Map<string, string>) {
  return {
    id: a.id,
    name: a.name,
    description: a.description,
    capabilities: a.capabilities.map((c) => ({
      name: c.name,
      server: { id: c.server_id, name: serverNames.get(c.server_id) ?? null },
      tool: c.tool,
      description: c.description,
      risk: c.risk,
      inputSchema: c.tool_definition.inputSchema ?? null,
      annotations: c.tool_definition.annotations ?? null,
      pinnedHash: c.pinned_hash,
      pinnedAt: iso(c.pinned_at),
    })),
    createdAt: iso(a.created_at),
    updatedAt: iso(a.updated_at),
  };
}
