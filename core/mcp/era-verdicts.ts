import {
  ProtocolError,
  ProtocolErrorCode,
  SdkError,
  SdkErrorCode,
  SdkHttpError,
  type Client,
  type PriorDiscovery,
} from '@modelcontextprotocol/client';

/** How long a verdict is taken on trust before a connect probes the server again. */
const DEFAULT_ERA_MAX_AGE_MS = 60 * 60_000;

interface Verdict {
  hash: string;
  prior: PriorDiscovery;
  at: number;
}

/**
 * Which protocol era each MCP server spoke when it was last probed: 2026-07-28 (it answered `server/discover`;
 * the verdict keeps that answer) or the 2025 one (`initialize`). One verdict per server id, for one
 * connection config hash (so one credential: a rotated secret probes anew), dated. A connect with the same
 * config passes it as `connect(transport, { prior })` and skips the probe: for a stdio server the SDK
 * probes in a throw-away sibling process, which a reconnect (a respawn after a crash) need not pay again.
 *
 * A stale modern verdict shows itself at the first request, but a stale legacy one never does (an upgraded
 * server still answers `initialize`), so every verdict expires after `maxAgeMs`; a `server/discover`
 * answered on a modern connection (the health probe) renews it. A verdict is also dropped when a connect
 * with it fails, and when a request fails in a way that says the server now speaks the other era.
 */
export class EraVerdicts {
  private readonly verdicts = new Map<string, Verdict>();

  constructor(
    private readonly maxAgeMs = DEFAULT_ERA_MAX_AGE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The verdict to connect this config with, while it is fresh. */
  prior(serverId: string, hash: string): PriorDiscovery | undefined {
    const verdict = this.verdicts.get(serverId);
    if (verdict?.hash !== hash) return undefined;
    if (this.now() - verdict.at <= this.maxAgeMs) return verdict.prior;
    this.verdicts.delete(serverId);
    return undefined;
  }

  /** Dates what the client found: at a connect that probed, or on a modern connection's `server/discover`. */
  record(serverId: string, hash: string, client: Client): void {
    const era = client.getProtocolEra();
    const discover = client.getDiscoverResult();
    const prior: PriorDiscovery | undefined =
      era === 'modern' && discover ? { kind: 'modern', discover } : era === 'legacy' ? { kind: 'legacy' } : undefined;
    if (prior) this.verdicts.set(serverId, { hash, prior, at: this.now() });
  }

  forget(serverId: string, hash: string): void {
    if (this.verdicts.get(serverId)?.hash === hash) this.verdicts.delete(serverId);
  }
}

/**
 * Whether a failed request says the server no longer speaks the era its connection negotiated: a 2025 HTTP
 * server refuses a 2026-07-28 request's MCP-Protocol-Version with HTTP 400, as a 2026-07-28-only one refuses
 * a 2025 request (its -32022 in the body); a modern server says -32022 itself; a 2025 stdio server answers
 * a 2026-07-28 request without the `resultType` that era requires.
 */
export function suggestsOtherEra(err: unknown): boolean {
  if (err instanceof SdkHttpError) return err.status === 400;
  if (err instanceof ProtocolError) return err.code === ProtocolErrorCode.UnsupportedProtocolVersion;
  // Only a missing resultType says "2025 server": any other invalid result is that result's own fault.
  return (
    err instanceof SdkError &&
    err.code === SdkErrorCode.InvalidResult &&
    (err.data as { violation?: unknown } | undefined)?.violation === 'missing-resultType'
  );
}
