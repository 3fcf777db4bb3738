import type { McpServerRow, McpServerStatusEventRow } from '../../core/db/rows.js';
import type { BreakerView } from '../../core/limits/execution-limits.js';
import { effectiveLimits } from '../../core/limits/defaults.js';
import { iso } from './iso.js';

/** An MCP server as the API shows it: env values and header values never leave, only their names. */
export function serverView(s: McpServerRow) {
  return {
    id: s.id,
    name: s.name,
    transport: s.transport,
    ...(s.transport === 'stdio'
      ? { command: s.command, args: s.args, envKeys: Object.keys(s.env), network: s.network }
      : { url: withoutCredentials(s.url), headerNames: Object.keys(s.headers) }),
    status: s.status,
    statusReason: s.status_reason,
    lastCheckAt: iso(s.last_check_at),
    toolsCount: s.tools_count,
    securityLevel: s.security_level,
    limits: s.limits,
    /** The limits calls run under: `limits` over the security level's defaults. */
    effectiveLimits: effectiveLimits(s),
    template: s.template,
    createdAt: iso(s.created_at),
  };
}

/** One server in full: with its circuit breaker and its recent status changes. */
export function serverDetailView(d: {
  server: McpServerRow;
  breaker: BreakerView;
  statusHistory: McpServerStatusEventRow[];
}) {
  return {
    ...serverView(d.server),
    breaker: d.breaker,
    statusHistory: d.statusHistory.map((e) => ({
      status: e.status,
      reason: e.reason,
      at: new Date(e.at).toISOString(),
    })),
  };
}

/** A stored URL as anyone may see it: credentials (refused since, but possibly in older rows) are cut out. */
function withoutCredentials(url: string | null): string | null {
  if (!url || !URL.canParse(url)) return url;
  const u = new URL(url);
  if (!u.username && !u.password) return url;
  u.username = '';
  u.password = '';
  return u.toString();
}

/** A value that may be shared: `secret:` references are names, not secrets; anything else is withheld. */
const exportable = (v: string) => (v.startsWith('secret:') ? v : '<redacted>');

function toEntry(s: McpServerRow) {
  const own = {
    securityLevel: s.security_level,
    ...(Object.keys(s.limits ?? {}).length > 0 ? { limits: s.limits } : {}),
  };
  if (s.transport === 'http')
    return {
      type: 'http',
      url: s.url,
      headers: Object.fromEntries(Object.entries(s.headers).map(([k, v]) => [k, exportable(v)])),
      ...own,
    };
  return {
    command: s.command,
    args: s.args,
    env: Object.fromEntries(Object.entries(s.env).map(([k, v]) => [k, exportable(v)])),
    network: s.network,
    ...own,
  };
}

/** The org's servers as the common `{"mcpServers": {...}}` file MCP clients read. */
export function mcpServersFileView(rows: McpServerRow[]) {
  return { mcpServers: Object.fromEntries(rows.map((s) => [s.name, toEntry(s)])) };
}
