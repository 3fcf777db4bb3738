import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { AgentWithCapabilities } from '../../core/db/agent.repository.js';
import type { CapabilityRow } from '../../core/db/rows.js';

/** The tool every Collexa MCP endpoint adds: the outcome of an invocation that was still pending. */
export const STATUS_TOOL = 'collexa_invocation_status';

/** A capability served as an MCP tool. */
export interface CapabilityTool {
  tool: Tool;
  agent: AgentWithCapabilities;
  capability: CapabilityRow;
}

export const statusTool: Tool = {
  name: STATUS_TOOL,
  title: 'Invocation status',
  description:
    'The status of an invocation started by a tools/call of this server (for example one that was pending approval), ' +
    'and its outcome once it has ended: the tool result, or the error.',
  inputSchema: {
    type: 'object',
    properties: {
      invocationId: { type: 'string', format: 'uuid', description: 'The invocationId a tools/call returned' },
    },
    required: ['invocationId'],
    additionalProperties: false,
  },
  annotations: { title: 'Invocation status', readOnlyHint: true, idempotentHint: true, openWorldHint: false },
};

/**
 * The agents' capabilities as tools, by name. One agent (/mcp/:agentId): the capability's name. Org-wide
 * (/mcp): `<agent name>__<capability name>`, unique because agent names are unique in an org (a name
 * that two pairs could spell, or that is the status tool's, goes to the first agent created).
 * The output schema is left out on purpose: a pending or failed result carries Collexa's structuredContent.
 */
export function capabilityTools(agents: AgentWithCapabilities[], scope: 'agent' | 'org'): Map<string, CapabilityTool> {
  const tools = new Map<string, CapabilityTool>();
  for (const agent of agents) {
    for (const capability of agent.capabilities) {
      const name = scope === 'agent' ? capability.name : `${agent.name}__${capability.name}`;
      if (name === STATUS_TOOL || tools.has(name)) continue;
      tools.set(name, { tool: toTool(name, agent, capability, scope), agent, capability });
    }
  }
  return tools;
}

function toTool(name: string, agent: AgentWithCapabilities, cap: CapabilityRow, scope: 'agent' | 'org'): Tool {
  const def = cap.tool_definition as {
    title?: string;
    description?: string;
    inputSchema?: Tool['inputSchema'];
    annotations?: Tool['annotations'];
  };
  const base = def.title ?? def.annotations?.title ?? cap.name;
  const title = scope === 'org' ? `${agent.name}: ${base}` : base;
  return {
    name,
    title,
    description: cap.description ?? def.description ?? `${cap.tool} on agent ${agent.name}`,
    inputSchema: def.inputSchema ?? { type: 'object' },
    annotations: { ...def.annotations, title },
    _meta: {
      'collexa/agentId': agent.id,
      'collexa/agent': agent.name,
      'collexa/capability': cap.name,
      'collexa/risk': cap.risk,
    },
  };
}
