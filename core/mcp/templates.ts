import path from 'node:path';
import { packageBin } from './stdio-commands.js';
import type { Severity } from '../severity.js';

/** Well-configured MCP servers by name: what `{template, config}` expands to. */
export const TEMPLATE_NAMES = ['filesystem', 'memory', 'everything', 'openapi'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** Template configs after validation: paths are absolute and inside the org's workspace, URLs passed egress. */
export interface TemplateConfig {
  filesystem: { paths: string[] };
  memory: { file?: string };
  everything: Record<string, never>;
  openapi: { spec: string; baseUrl: string; headers?: Record<string, string> };
}

/** The stdio server a template stands for, and what its sandbox must give it. */
export interface ExpandedTemplate {
  command: string;
  args: string[];
  env: Record<string, string>;
  network: boolean;
  securityLevel: Severity;
  writablePaths: string[];
  readablePaths: string[];
  /** Files the worker fetches (egress-checked) into the server's dir before it starts. */
  files: Array<{ url: string; path: string }>;
}

const PACKAGES: Record<TemplateName, string> = {
  filesystem: '@modelcontextprotocol/server-filesystem',
  memory: '@modelcontextprotocol/server-memory',
  everything: '@modelcontextprotocol/server-everything',
  openapi: '@ivotoby/openapi-mcp-server',
};

/**
 * Expands a template into the stdio server it runs (always inside the sandbox). Choices, by template:
 * filesystem reaches only the listed workspace paths (high: it can write files); memory keeps its graph
 * in the server's own working dir, or in a file of the workspace; everything is the MCP reference
 * server; openapi fronts one HTTP API from its OpenAPI spec, the only one that needs the network.
 */
export function expandTemplate<T extends TemplateName>(
  template: T,
  config: TemplateConfig[T],
  workDir: string,
): ExpandedTemplate {
  const command = process.execPath;
  const bin = packageBin(PACKAGES[template]);
  if (!bin) throw new Error(`the ${template} template's package ${PACKAGES[template]} is not installed`);
  const base = { command, env: {}, network: false, writablePaths: [], readablePaths: [], files: [] };
  switch (template) {
    case 'filesystem': {
      const { paths } = config as TemplateConfig['filesystem'];
      return { ...base, args: [bin, ...paths], securityLevel: 'high', writablePaths: paths };
    }
    case 'memory': {
      const { file } = config as TemplateConfig['memory'];
      return {
        ...base,
        args: [bin],
        env: { MEMORY_FILE_PATH: file ?? path.join(workDir, 'memory.jsonl') },
        securityLevel: 'medium',
        writablePaths: file ? [path.dirname(file)] : [],
      };
    }
    case 'everything':
      return { ...base, args: [bin, 'stdio'], securityLevel: 'low' };
    case 'openapi': {
      const { spec, baseUrl, headers } = config as TemplateConfig['openapi'];
      // A spec URL is fetched by the worker, under the egress policy, into the server's dir: the server
      // itself reaches only the API it fronts (through the egress proxy).
      const remote = /^https?:\/\//i.test(spec);
      const local = remote ? path.join(workDir, 'openapi-spec.json') : spec;
      const env: Record<string, string> = { API_BASE_URL: baseUrl, OPENAPI_SPEC_PATH: local };
      if (headers && Object.keys(headers).length > 0)
        env.API_HEADERS = Object.entries(headers)
          .map(([k, v]) => `${k}:${v}`)
          .join(',');
      return {
        ...base,
        args: [bin],
        env,
        network: true,
        securityLevel: 'high',
        readablePaths: remote ? [] : [spec],
        files: remote ? [{ url: spec, path: 'openapi-spec.json' }] : [],
      };
    }
    default:
      throw new Error(`unknown template ${String(template)}`);
  }
}
