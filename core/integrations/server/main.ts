/**
 * The MCP server of one integration, over stdio, run by the worker in the stdio-server sandbox like any
 * template (`node --import tsx core/integrations/server/main.ts`). Settings come from env
 * COLLEXA_INTEGRATION (JSON, see handler.ts), the credential from COLLEXA_CREDENTIALS (the org secret the
 * worker resolved, or a sandbox's stand-in). It serves the spec's tools, as listed in the catalog.
 */
import { fromJsonSchema, McpServer, type JsonSchemaType } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { Redactor } from '../../secrets/redact.js';
import type { IntegrationHandlers, IntegrationSettings } from './handler.js';
import { HANDLERS } from './registry.js';
import { toolError, toolResult } from './tool-output.js';
import { credentialStrings } from './credential.js';

// A misconfigured server ends here, uncaught: the worker sees it exit and reports its stderr.
function fail(message: string): never {
  throw new Error(`integration server: ${message}`);
}

const settings = JSON.parse(process.env.COLLEXA_INTEGRATION ?? 'null') as IntegrationSettings | null;
if (!settings || typeof settings.integration !== 'string') fail('COLLEXA_INTEGRATION is not set');
const load = HANDLERS[settings.integration as keyof typeof HANDLERS];
if (!load) fail(`no integration named ${settings.integration}`);
const handlers: IntegrationHandlers<unknown> = await load();
const credential = process.env.COLLEXA_CREDENTIALS ?? '';
// The credential's values never leave this process: not in a result, an error, or stderr.
const redactor = new Redactor(
  (credential
    ? [...credentialStrings(credential, handlers.publicCredentialFields), ...handlers.secretsOf(credential)]
    : []
  ).map((value) => ({
    name: 'credentials',
    value,
  })),
);
delete process.env.COLLEXA_CREDENTIALS;

let client: Promise<unknown> | undefined;
const connected = () => {
  client ??= Promise.resolve().then(() => handlers.connect(settings, credential));
  // A failed connect (a malformed credential) is retried on the next call, not remembered.
  return client.catch((err: unknown) => {
    client = undefined;
    throw err;
  });
};

function createServer(): McpServer {
  const server = new McpServer({ name: `collexa-${handlers.spec.name}`, version: '1.0.0' });
  const served = new Set(settings!.tools);
  for (const tool of handlers.spec.tools) {
    if (!served.has(tool.name)) continue;
    const handler = handlers.tools[tool.name];
    if (!handler) fail(`${handlers.spec.name} has no handler for ${tool.name}`);
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: fromJsonSchema<Record<string, unknown>>(tool.inputSchema as JsonSchemaType),
        annotations: tool.annotations,
      },
      async (args, ctx) => {
        try {
          const data = await handler(args, {
            settings: settings!,
            client: await connected(),
            signal: ctx.mcpReq.signal,
          });
          return toolResult(data, redactor);
        } catch (err) {
          return toolError(err, handlers.spec.title, redactor);
        }
      },
    );
  }
  return server;
}

serveStdio(createServer, {
  onerror: (err) => process.stderr.write(`${redactor.text(err.stack ?? err.message)}\n`),
});
