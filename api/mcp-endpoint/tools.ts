import type { Tool } from '@modelcontextprotocol/server';
import type { AgentWithCapabilities } from '../../core/db/agent.repository.js';
import type { CapabilityRow } from '../../core/db/rows.js';

/** The tool every Collexa MCP endpoint adds: the outcome of an invocation that was still pending. */
export const STATUS_TOOL = 'collexa_invocation_status';

/** The protocol era a request is served in: `modern` is 2026-07-28, `legacy` every 2025-era revision. */
export type Era = 'legacy' | 'modern';

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
 * Each keeps the pinned definition's outputSchema; `listedTools` decides which era sees it.
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

/**
 * The tools/list of an era. 2026-07-28: every definition as pinned, outputSchema included, sorted by name
 * (code-unit order, so no locale changes it). 2025 era: in catalog order (agents by creation, capabilities
 * by name) and without outputSchema, as before: a 2025 answer that is still pending approval is a normal
 * result with Collexa's structuredContent, which a tool's outputSchema would make clients reject
 * (results.ts says what 2026 answers instead). Every capability is `taskSupport: "optional"` there: any call
 * may need an approval (policy decides per call), and a client that asks gets a task (2026-07-28 has no such
 * field: the extension is declared per request).
 */
export function listedTools(catalog: Map<string, CapabilityTool>, era: Era): Tool[] {
  const tools = [...[...catalog.values()].map((t) => t.tool), statusTool];
  if (era === 'legacy')
    return tools.map(({ outputSchema: _outputSchema, ...tool }) =>
      tool.name === STATUS_TOOL ? tool : { ...tool, execution: { taskSupport: 'optional' as const } },
    );
  return tools.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function toTool(name: string, agent: AgentWithCapabilities, cap: CapabilityRow, scope: 'agent' | 'org'): Tool {
  const def = cap.tool_definition as {
    title?: string;
    description?: string;
    inputSchema?: Tool['inputSchema'];
    outputSchema?: Tool['outputSchema'];
    annotations?: Tool['annotations'];
  };
  const base = def.title ?? def.annotations?.title ?? cap.name;
  const title = scope === 'org' ? `${agent.name}: ${base}` : base;
  return {
    name,
    title,
    description: cap.description ?? def.description ?? `${cap.tool} on agent ${agent.name}`,
    inputSchema: def.inputSchema ?? { type: 'object' },
    ...(def.outputSchema === undefined ? {} : { outputSchema: def.outputSchema }),
    annotations: { ...def.annotations, title },
    _meta: {
      'collexa/agentId': agent.id,
      'collexa/agent': agent.name,
      'collexa/capability': cap.name,
      'collexa/risk': cap.risk,
    },
  };
}
