import type { IntegrationSpec } from '../../core/integrations/integration.js';

/** An integration as the catalog lists it: its tools, the credential it needs, its settings and sandbox modes. */
export function integrationView(spec: IntegrationSpec) {
  return {
    name: spec.name,
    title: spec.title,
    description: spec.description,
    api: spec.api,
    securityLevel: spec.securityLevel,
    credentials: {
      kind: spec.credentials.kind,
      format: spec.credentials.format,
      ...(spec.credentials.schema ? { schema: spec.credentials.schema } : {}),
      docs: spec.credentials.docs,
      // How a server is given it: the value as an org secret, referenced by name.
      config: 'credentials: "secret:NAME"',
    },
    config: spec.config,
    services: spec.services,
    toolCount: spec.tools.length,
    tools: spec.tools.map((t) => ({
      name: t.name,
      title: t.title,
      description: t.description,
      inputSchema: t.inputSchema,
      annotations: t.annotations,
      default: spec.defaultTools ? spec.defaultTools.includes(t.name) : true,
    })),
    sandbox: {
      target: spec.sandbox.target,
      modes: Object.keys(spec.sandbox.modes),
      emulators: spec.sandbox.emulators,
    },
  };
}
