import { isIP } from 'node:net';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import { bareHost, EgressDenied, type EgressPolicy } from './egress.js';

/** A fetch with the shape the MCP SDK and our webhook sender take. */
export type GuardedFetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

/**
 * fetch under the egress policy, for everything Collexa fetches on a tenant's behalf. Every connection
 * is checked on the address it really goes to (host names at DNS resolution, IP literals before the
 * socket opens); redirects are never followed (a 3xx is returned as is, not chased to an internal
 * address). With `dropErrorBodies`, a non-2xx answer's body is replaced by `HTTP <status> from <host>`,
 * so no upstream text (an internal service's page, a credential echo) reaches a status or an error.
 */
export function guardedFetch(policy: EgressPolicy, opts: { dropErrorBodies?: boolean } = {}): GuardedFetch {
  const connectors = new Map<number, buildConnector.connector>();
  const connectorFor = (port: number) => {
    let c = connectors.get(port);
    if (!c) {
      c = buildConnector({ lookup: (host: string, o: object, cb: never) => policy.lookup(host, o, cb, port) } as never);
      connectors.set(port, c);
    }
    return c;
  };
  const dispatcher = new Agent({
    connect: (options, callback) => {
      const port = Number(options.port) || (options.protocol === 'https:' ? 443 : 80);
      const host = bareHost(options.hostname);
      const why = isIP(host) ? policy.refusal(host, port, host) : null;
      if (why) return callback(new EgressDenied(why, { host, port }), null);
      return connectorFor(port)(options, callback);
    },
  });
  return async (url, init = {}) => {
    const target = policy.checkUrlShape(String(url));
    let res: Response;
    try {
      res = (await undiciFetch(String(url), {
        ...(init as object),
        redirect: 'manual',
        dispatcher,
      } as never)) as unknown as Response;
    } catch (err) {
      throw unwrapDenied(err) ?? err;
    }
    if (!opts.dropErrorBodies || res.ok) return res;
    await res.body?.cancel().catch(() => {});
    return new Response(`HTTP ${res.status} from ${target.host}`, {
      status: res.status,
      statusText: res.statusText,
      headers: { 'content-type': 'text/plain' },
    });
  };
}

/** fetch wraps connect errors in `TypeError('fetch failed', {cause})`; surface ours as itself. */
function unwrapDenied(err: unknown): EgressDenied | undefined {
  for (let e = err, i = 0; e instanceof Error && i < 5; e = e.cause, i++)
    if (e instanceof EgressDenied || (e as { code?: string }).code === 'EGRESS_DENIED') return e as EgressDenied;
  return undefined;
}
