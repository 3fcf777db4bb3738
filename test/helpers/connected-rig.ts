// An integration's server in connected mode on the real path: the org's secret (POST /v1/secrets as admin),
// the server given it and a baseUrl (a local server in the test, speaking the vendor's wire protocol), and an
// agent holding every tool as a low-risk capability; each call runs without a sandbox, against that baseUrl.
import { expect } from 'vitest';
import { integrationSpec } from '../../core/integrations/catalog.js';
import type { InvocationView, Platform } from './integration-rig.js';
import { userWithRole } from './platform.js';
import { call, createOrg } from './stack.js';

export async function connectedRig(opts: {
  platform: Platform;
  integration: string;
  baseUrl: string;
  /** The secret's value: the credential the server is given. */
  credential: string;
}): Promise<{ invoke(tool: string, input: Record<string, unknown>): Promise<InvocationView> }> {
  const spec = integrationSpec(opts.integration);
  if (!spec) throw new Error(`no integration ${opts.integration}`);
  const { platform } = opts;
  const org = await createOrg(platform.db, `${opts.integration}-connected`);
  const developerKey = (await userWithRole(platform.db, org.org.id, 'developer')).key;
  const secret = await call(`${platform.url}/v1/secrets`, {
    method: 'POST',
    key: org.adminKey,
    json: { name: 'VENDOR_CREDENTIAL', value: opts.credential },
  });
  expect(secret.status, secret.text).toBeLessThan(300);
  const server = await call(`${platform.url}/v1/mcp-servers?wait=60`, {
    method: 'POST',
    key: org.adminKey,
    json: {
      name: opts.integration,
      template: opts.integration,
      config: { baseUrl: opts.baseUrl, credentials: 'secret:VENDOR_CREDENTIAL' },
    },
  });
  expect(server.json, server.text).toMatchObject({ status: 'healthy', template: opts.integration });
  const agent = await call(`${platform.url}/v1/agents`, {
    method: 'POST',
    key: org.adminKey,
    json: {
      name: `${opts.integration}-connected-agent`,
      capabilities: spec.tools.map((t) => ({ name: t.name, server: opts.integration, tool: t.name, risk: 'low' })),
    },
  });
  expect(agent.status, agent.text).toBe(201);
  return {
    async invoke(tool, input) {
      const res = await call(`${platform.url}/v1/agents/${agent.json.id}/invoke?wait=60`, {
        method: 'POST',
        key: developerKey,
        json: { capability: tool, input },
      });
      expect(res.status, res.text).toBeLessThan(500);
      return res.json as InvocationView;
    },
  };
}
