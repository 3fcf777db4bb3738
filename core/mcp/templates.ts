import path from 'node:path';
import { PROJECT_ROOT } from '../paths.js';

/** Well-configured MCP servers by name: what `{template, config}` expands to. */
export const TEMPLATE_NAMES = ['filesystem', 'memory', 'everything', 'openapi'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

export interface TemplateConfig {
  filesystem: { paths: string[] };
  memory: { file?: string };
  everything: Record<string, never>;
  openapi: { spec: string; baseUrl: string; headers?: Record<string, string> };
}

/** The stdio server a template stands for; `workDir` is the server's own working directory. */
export interface ExpandedTemplate {
  command: string;
  args: string[];
  env: Record<string, string>;
  network: boolean;
  securityLevel: 'low' | 'medium' | 'high' | 'critical';
}

const bin = (pkg: string, file = 'dist/index.js') => path.join(PROJECT_ROOT, 'node_modules', pkg, file);

/**
 * Expands a template. Choices, by template: filesystem reaches only the listed paths (high security level:
 * it can write files); memory keeps its graph in the server's own working dir and needs no network;
 * everything is the MCP reference server; openapi fronts one HTTP API from its OpenAPI spec.
 */
export function expandTemplate<T extends TemplateName>(template: T, config: TemplateConfig[T], workDir: string): ExpandedTemplate {
  const node = process.execPath;
  switch (template) {
    case 'filesystem': {
      const { paths } = config as TemplateConfig['filesystem'];
      // Network stays on: the sandbox mounts the filesystem read-only except the working dir, and this
      // server's whole point is writing to the paths it is given.
      return { command: node, args: [bin('@modelcontextprotocol/server-filesystem'), ...paths], env: {}, network: true, securityLevel: 'high' };
    }
    case 'memory': {
      const { file } = config as TemplateConfig['memory'];
      return {
        command: node,
        args: [bin('@modelcontextprotocol/server-memory')],
        env: { MEMORY_FILE_PATH: file ?? path.join(workDir, 'memory.jsonl') },
        // The sandbox can write only the working dir: a file elsewhere needs the unsandboxed process.
        network: file !== undefined,
        securityLevel: 'medium',
      };
    }
    case 'everything':
      return { command: node, args: [bin('@modelcontextprotocol/server-everything'), 'stdio'], env: {}, network: true, securityLevel: 'low' };
    case 'openapi': {
      const { spec, baseUrl, headers } = config as TemplateConfig['openapi'];
      const env: Record<string, string> = { API_BASE_URL: baseUrl, OPENAPI_SPEC_PATH: spec };
      if (headers && Object.keys(headers).length > 0) env.API_HEADERS = Object.entries(headers).map(([k, v]) => `${k}:${v}`).join(',');
      return { command: node, args: [bin('@ivotoby/openapi-mcp-server', 'bin/mcp-server.js')], env, network: true, securityLevel: 'high' };
    }
    default:
      throw new Error(`unknown template ${String(template)}`);
  }
}
