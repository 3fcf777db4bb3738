import type { McpServerLimits, McpServerRow } from '../db/rows.js';
import type { Severity } from '../severity.js';

/** Every execution limit of an MCP server, with the security level's defaults filled in. */
export type EffectiveLimits = Required<McpServerLimits>;

const KIB = 1024;
const MIB = 1024 * KIB;

/**
 * Default limits per security level: the more a server can do, the tighter it runs. A server's own
 * `limits` override these key by key (README "Limits" mirrors this table: change both together).
 */
/**
 * maxProcesses is RLIMIT_NPROC, which the kernel counts per uid: all of an org's servers and sandboxes (each
 * Node server a dozen threads, its tsx loader's esbuild six more, moto dozens) share the uid, so it is one
 * org-wide bound against fork bombs, the same at every level. A tighter one on a high-level server did not
 * make it safer: it only stopped it starting (bwrap: EAGAIN) once the org's other processes passed it.
 */
export const ORG_MAX_PROCESSES = 4096;

export const LIMIT_DEFAULTS: Readonly<Record<Severity, EffectiveLimits>> = {
  low: {
    timeoutMs: 60_000,
    maxConcurrency: 32,
    ratePerSecond: 50,
    orgRatePerSecond: 100,
    breakerThreshold: 5,
    breakerCooldownMs: 30_000,
    maxResultBytes: 4 * MIB,
    memoryMb: 2048,
    cpuSeconds: 3600,
    maxProcesses: ORG_MAX_PROCESSES,
    maxOpenFiles: 1024,
  },
  medium: {
    timeoutMs: 60_000,
    maxConcurrency: 16,
    ratePerSecond: 20,
    orgRatePerSecond: 50,
    breakerThreshold: 5,
    breakerCooldownMs: 30_000,
    maxResultBytes: 2 * MIB,
    memoryMb: 1024,
    cpuSeconds: 1800,
    maxProcesses: ORG_MAX_PROCESSES,
    maxOpenFiles: 512,
  },
  high: {
    timeoutMs: 30_000,
    maxConcurrency: 8,
    ratePerSecond: 10,
    orgRatePerSecond: 25,
    breakerThreshold: 3,
    breakerCooldownMs: 60_000,
    maxResultBytes: 1 * MIB,
    memoryMb: 1024,
    cpuSeconds: 900,
    maxProcesses: ORG_MAX_PROCESSES,
    maxOpenFiles: 256,
  },
  critical: {
    timeoutMs: 15_000,
    maxConcurrency: 2,
    ratePerSecond: 2,
    orgRatePerSecond: 10,
    breakerThreshold: 2,
    breakerCooldownMs: 120_000,
    maxResultBytes: 256 * KIB,
    memoryMb: 512,
    cpuSeconds: 300,
    maxProcesses: ORG_MAX_PROCESSES,
    maxOpenFiles: 128,
  },
};

/**
 * Invocations policy denies, per API key: they spend none of a server's or org's rate tokens (a denied call
 * never reaches the server), so they have a bucket of their own per key (README "Limits").
 */
export const DENIED_RATE_PER_SECOND = 2;

/**
 * The limits a call to `server` runs under: its own `limits` over its level's defaults. `timeoutCapMs`
 * (MCP_CALL_TIMEOUT_MS) lowers the level's default timeout, never a timeout set on the server itself.
 */
export function effectiveLimits(
  server: Pick<McpServerRow, 'security_level' | 'limits'>,
  opts: { timeoutCapMs?: number } = {},
): EffectiveLimits {
  // An unknown level (a row written around the API) gets the tightest defaults, not the loosest.
  const defaults = LIMIT_DEFAULTS[server.security_level] ?? LIMIT_DEFAULTS.critical;
  const own = Object.fromEntries(
    Object.entries(server.limits ?? {}).filter(([, v]) => typeof v === 'number'),
  ) as McpServerLimits;
  const timeoutMs = own.timeoutMs ?? Math.min(defaults.timeoutMs, opts.timeoutCapMs ?? Infinity);
  return { ...defaults, ...own, timeoutMs };
}
