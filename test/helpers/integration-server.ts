// An integration's server outside any sandbox, as an org registers it: the credential as an org secret,
// POST /v1/mcp-servers {template, config: {credentials: "secret:…", …}}, and an agent holding each tool it
// serves as a low-risk capability; calls go to whatever the config points at (a test's local server).
import { expect } from 'vitest';
import type { InvocationView, Platform } from './integration-rig.js';
import { call, createOrg } from './stack.js';

export interface ConnectedIntegration {
  adminKey: string;
  /** The POST /v1/mcp-servers answer: 201 and the server, or the config's refusal. */
  status: number;
  json: Record<string, unknown>;
  /** The tools it serves, sorted. */
  tools(): Promise<string[]>;
  /** Invokes capability `tool` (no sandbox) and answers the invocation as the API shows it. */
  invoke(tool: string, input: Record<string, unknown>): Promise<InvocationView>;
}

export async function connectedIntegration(
  platform: Platform,
  opts: { template: string; config?: Record<string, unknown>; credential?: string },
): Promise<ConnectedIntegration> {
  const { adminKey } = await createOrg(platform.db, `${opts.template} connected`);
  const config = { ...opts.config };
  if (opts.credential !== undefined) {
    const saved = await call(`${platform.url}/v1/secrets`, {
      method: 'POST',
      key: adminKey,
      json: { name: 'CREDENTIAL', value: opts.credential },
    });
    expect(saved.status, saved.text).toBe(201);
    config.credentials = 'secret:CREDENTIAL';
  }
  const server = opts.template;
  const created = await call(`${platform.url}/v1/mcp-servers?wait=60`, {
    method: 'POST',
    key: adminKey,
    json: { name: server, template: opts.template, config },
  });
  const tools = async () => {
    const listed = await call(`${platform.url}/v1/tools?server=${server}&limit=100`, { key: adminKey });
    return (listed.json.data as Array<{ name: string }>).map((t) => t.name).sort();
  };
  let agentId: string | undefined;
  return {
    adminKey,
    status: created.status,
    json: created.json,
    tools,
    invoke: async (tool, input) => {
      if (!agentId) {
        const agent = await call(`${platform.url}/v1/agents`, {
          method: 'POST',
          key: adminKey,
          json: {
            name: `${server}-agent`,
            capabilities: (await tools()).map((t) => ({ name: t, server, tool: t, risk: 'low' })),
          },
        });
        expect(agent.status, agent.text).toBe(201);
        agentId = agent.json.id as string;
      }
      const res = await call(`${platform.url}/v1/agents/${agentId}/invoke?wait=60`, {
        method: 'POST',
        key: adminKey,
        json: { capability: tool, input },
      });
      expect(res.status, res.text).toBeLessThan(500);
      return res.json as InvocationView;
    },
  };
}
