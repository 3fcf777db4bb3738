import type { Express } from 'express';

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'OPTIONS';

/** One route of the API, as a test addresses it (`:name` marks a path parameter). */
export interface ApiRoute {
  method: Method;
  path: string;
}

/** Every route createApp serves (a test checks this list against the app's router). */
export const API_ROUTES: ApiRoute[] = [
  { method: 'GET', path: '/healthz' },
  { method: 'GET', path: '/readyz' },
  { method: 'GET', path: '/metrics' },
  { method: 'POST', path: '/codec/encode' },
  { method: 'POST', path: '/codec/decode' },
  { method: 'OPTIONS', path: '/codec/encode' },
  { method: 'OPTIONS', path: '/codec/decode' },
  { method: 'GET', path: '/codec/login' },
  { method: 'POST', path: '/codec/login' },
  { method: 'GET', path: '/v1/me' },
  { method: 'GET', path: '/v1/org' },
  { method: 'PATCH', path: '/v1/org' },
  { method: 'GET', path: '/v1/api-keys' },
  { method: 'POST', path: '/v1/api-keys' },
  { method: 'DELETE', path: '/v1/api-keys/:id' },
  { method: 'POST', path: '/v1/mcp-servers/import' },
  { method: 'GET', path: '/v1/mcp-servers/export' },
  { method: 'POST', path: '/v1/mcp-servers' },
  { method: 'GET', path: '/v1/mcp-servers' },
  { method: 'GET', path: '/v1/mcp-servers/:id' },
  { method: 'DELETE', path: '/v1/mcp-servers/:id' },
  { method: 'POST', path: '/v1/agents' },
  { method: 'GET', path: '/v1/agents' },
  { method: 'GET', path: '/v1/agents/:agentId' },
  { method: 'PATCH', path: '/v1/agents/:agentId' },
  { method: 'POST', path: '/v1/agents/:agentId/capabilities/:name/repin' },
  { method: 'DELETE', path: '/v1/agents/:agentId' },
  { method: 'POST', path: '/v1/secrets' },
  { method: 'GET', path: '/v1/secrets' },
  { method: 'GET', path: '/v1/secrets/:name' },
  { method: 'POST', path: '/v1/secrets/:name/rotate' },
  { method: 'DELETE', path: '/v1/secrets/:name' },
  { method: 'POST', path: '/v1/llm/providers' },
  { method: 'GET', path: '/v1/llm/providers' },
  { method: 'GET', path: '/v1/llm/providers/:id' },
  { method: 'PATCH', path: '/v1/llm/providers/:id' },
  { method: 'DELETE', path: '/v1/llm/providers/:id' },
  { method: 'GET', path: '/v1/llm/providers/:id/health' },
  { method: 'GET', path: '/v1/llm/calls' },
  { method: 'GET', path: '/v1/llm/cache/stats' },
  { method: 'POST', path: '/v1/llm/cache/clear' },
  { method: 'GET', path: '/.well-known/jwks.json' },
  { method: 'POST', path: '/v1/agents/:agentId/manifests' },
  { method: 'GET', path: '/v1/agents/:agentId/manifests' },
  { method: 'POST', path: '/v1/manifests/verify' },
  { method: 'GET', path: '/v1/manifests/:id' },
  { method: 'POST', path: '/v1/manifests/:id/revoke' },
  { method: 'GET', path: '/v1/signing-keys' },
  { method: 'POST', path: '/v1/signing-keys/rotate' },
  { method: 'POST', path: '/v1/signing-keys/:kid/retire' },
  { method: 'POST', path: '/mcp' },
  { method: 'POST', path: '/mcp/:agentId' },
  { method: 'POST', path: '/v1/agents/:agentId/invoke' },
  { method: 'GET', path: '/v1/invocations' },
  { method: 'GET', path: '/v1/invocations/:id' },
  { method: 'POST', path: '/v1/invocations/:id/cancel' },
  { method: 'GET', path: '/v1/approvals' },
  { method: 'GET', path: '/v1/approvals/:id' },
  { method: 'POST', path: '/v1/approvals' },
  { method: 'POST', path: '/v1/approvals/:id/approve' },
  { method: 'POST', path: '/v1/approvals/:id/deny' },
  { method: 'POST', path: '/v1/approvals/:id/decision-token' },
  { method: 'GET', path: '/v1/audit' },
  { method: 'POST', path: '/webhooks/stripe' },
  { method: 'GET', path: '/v1/billing' },
  { method: 'POST', path: '/v1/billing/customer' },
  { method: 'GET', path: '/v1/billing/events' },
  { method: 'GET', path: '/v1/billing/usage' },
  { method: 'POST', path: '/v1/billing/credits' },
  { method: 'POST', path: '/v1/billing/credits/:paymentIntentId/confirm' },
  { method: 'POST', path: '/v1/billing/credits/:paymentIntentId/refund' },
  { method: 'GET', path: '/v1/tools' },
  { method: 'POST', path: '/v1/tools/suggest' },
  { method: 'PATCH', path: '/v1/mcp-servers/:id/tools/:name' },
  { method: 'GET', path: '/v1/integrations' },
  { method: 'GET', path: '/v1/integrations/:name' },
  { method: 'POST', path: '/v1/sandbox-targets' },
  { method: 'GET', path: '/v1/sandbox-targets' },
  { method: 'GET', path: '/v1/sandbox-targets/:name' },
  { method: 'DELETE', path: '/v1/sandbox-targets/:name' },
  { method: 'POST', path: '/v1/agents/:agentId/sandboxes' },
  { method: 'GET', path: '/v1/agents/:agentId/sandboxes' },
  { method: 'GET', path: '/v1/sandboxes' },
  { method: 'GET', path: '/v1/sandboxes/:id' },
  { method: 'POST', path: '/v1/sandboxes/:id/reset' },
  { method: 'DELETE', path: '/v1/sandboxes/:id' },
  { method: 'POST', path: '/v1/pipelines' },
  { method: 'GET', path: '/v1/pipelines' },
  { method: 'GET', path: '/v1/pipelines/:id' },
  { method: 'GET', path: '/v1/pipelines/:id/artifacts/:artifactId' },
  { method: 'POST', path: '/v1/pipelines/:id/cancel' },
  { method: 'POST', path: '/v1/pipelines/:id/retry' },
];

/** The REST routes with path parameters. */
export const PARAM_ROUTES = API_ROUTES.filter((r) => r.path.includes('/:') && !r.path.startsWith('/mcp'));

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** The method and path of every route the app's router (and the routers it mounts) declares. */
export function appRoutes(app: Express): ApiRoute[] {
  const out: ApiRoute[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        const methods = Object.keys(layer.route.methods).filter((m) => m !== '_all');
        for (const path of [layer.route.path].flat())
          for (const m of methods) out.push({ method: m.toUpperCase() as Method, path });
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return out;
}
