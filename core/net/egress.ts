import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * The egress policy: which addresses Collexa itself may connect to when it fetches something a tenant
 * named (an http MCP server, an approval webhook, an OpenAPI base URL). Public unicast addresses are
 * allowed; loopback, private, link-local (cloud metadata), CGNAT, multicast and reserved ranges are
 * refused unless the operator allows them (EGRESS_ALLOW). The platform's own services (PostgreSQL,
 * Temporal, the API) are refused even then. Checks run on the resolved address at connect time, so a
 * name that resolves to a public address at registration and to 127.0.0.1 later (DNS rebinding) is caught.
 */
export class EgressPolicy {
  private readonly allowNets = new BlockList();
  private readonly allowHostPorts = new Set<string>();
  private readonly platform: Array<{ host: string; port: number }>;

  /** `allow`: EGRESS_ALLOW entries (CIDR, IP, ip:port, [v6]:port, host:port). `platform`: never reachable. */
  constructor(
    private readonly allow: string[] = [],
    platform: Array<{ host: string; port: number }> = [],
  ) {
    for (const entry of allow) {
      const rule = parseAllowRule(entry);
      if (rule.kind === 'net') this.allowNets.addSubnet(rule.address, rule.prefix, rule.family);
      else this.allowHostPorts.add(`${rule.host.toLowerCase()}:${rule.port}`);
    }
    this.platform = platform;
  }

  /**
   * This policy plus `entries` (EGRESS_ALLOW syntax): how a sandbox's own MCP server reaches its sandbox on
   * 127.0.0.1:<port> and nothing else of the host. The platform's services stay refused.
   */
  including(entries: string[]): EgressPolicy {
    return entries.length === 0 ? this : new EgressPolicy([...this.allow, ...entries], this.platform);
  }

  /** Why connecting to `address:port` (for `hostname`) is refused, or null when it is allowed. */
  refusal(address: string, port: number, hostname = address): string | null {
    const family = isIP(address);
    if (family === 0) return `${address} is not an IP address`;
    const ip = unmapped(address);
    const type = family === 6 && !ip.includes('.') ? 'ipv6' : 'ipv4';
    for (const p of this.platform) {
      if (p.port === port && (p.host === ip || p.host === hostname || (isLoopback(ip) && isLoopbackHost(p.host)))) {
        return `${hostname}:${port} is one of the platform's own services`;
      }
    }
    const special = specialRange(ip, type);
    if (special === null) return null;
    if (this.allowNets.check(ip, type)) return null;
    if (this.allowHostPorts.has(`${ip}:${port}`) || this.allowHostPorts.has(`${hostname.toLowerCase()}:${port}`))
      return null;
    return `${hostname === address ? address : `${hostname} (${address})`} is a ${special} address; the operator can allow it with EGRESS_ALLOW`;
  }

  /**
   * Checks a URL before anything is sent: http(s) only, no credentials in it, and every address its host
   * resolves to allowed. Throws EgressDenied naming the reason.
   */
  async checkUrl(raw: string): Promise<URL> {
    const url = this.checkUrlShape(raw);
    await this.allowedAddresses(bareHost(url.hostname), portOf(url));
    return url;
  }

  /**
   * Every address `host` resolves to (itself, for an IP), when each is allowed on `port`; throws
   * EgressDenied otherwise. Connect to one of these, not to the name again: that is what beats rebinding.
   */
  async allowedAddresses(host: string, port: number): Promise<string[]> {
    const addresses = isIP(host)
      ? [host]
      : await resolveAll(host).catch((err: NodeJS.ErrnoException) => {
          throw new EgressDenied(`${host} does not resolve (${err.code ?? err.message})`, { host });
        });
    for (const a of addresses) {
      const why = this.refusal(a, port, host);
      if (why) throw new EgressDenied(why, { host, port });
    }
    return addresses;
  }

  /** The checks on a URL that need no DNS: scheme, credentials, and an IP-literal host. */
  checkUrlShape(raw: string): URL {
    if (!URL.canParse(raw)) throw new EgressDenied('not a URL', {});
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new EgressDenied(`${url.protocol} URLs are not allowed (http or https only)`, {});
    if (url.username || url.password)
      throw new EgressDenied('credentials in a URL are not allowed: send them in a header with a secret: reference', {
        host: url.hostname,
      });
    const host = bareHost(url.hostname);
    if (isIP(host)) {
      const why = this.refusal(host, portOf(url), host);
      if (why) throw new EgressDenied(why, { host, port: portOf(url) });
    }
    return url;
  }

  /**
   * A `lookup` for net/tls connect options: resolves as dns.lookup does, then refuses the connection when
   * any address is not allowed. Node calls it for host names only; IP literals go through checkUrlShape.
   */
  readonly lookup = (
    hostname: string,
    options: { all?: boolean; family?: number | string },
    callback: LookupCallback,
    port = 0,
  ): void => {
    dnsLookup(
      hostname,
      { all: true, ...(options.family ? { family: Number(options.family) || 0 } : {}) },
      (err, addresses) => {
        if (err) return callback(err, '', 0);
        for (const a of addresses) {
          const why = this.refusal(a.address, port, hostname);
          if (why) return callback(new EgressDenied(why, { host: hostname, port }), '', 0);
        }
        if (options.all) return (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, addresses);
        const first = addresses[0]!;
        callback(null, first.address, first.family);
      },
    );
  };
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/** Collexa refused to connect somewhere: the message says why, never what the far side answered. */
export class EgressDenied extends Error {
  readonly code = 'EGRESS_DENIED';
  constructor(
    readonly reason: string,
    readonly target: { host?: string; port?: number },
  ) {
    super(`egress denied: ${reason}`);
    this.name = 'EgressDenied';
  }
}

// Everything that is not public unicast, with the word an error uses for it.
const SPECIAL: Array<[string, number, 'ipv4' | 'ipv6', string]> = [
  ['0.0.0.0', 8, 'ipv4', '"this network"'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['169.254.0.0', 16, 'ipv4', 'link-local (cloud metadata)'],
  ['100.64.0.0', 10, 'ipv4', 'carrier-grade NAT'],
  ['192.0.0.0', 24, 'ipv4', 'IETF protocol'],
  ['192.0.2.0', 24, 'ipv4', 'documentation'],
  ['198.18.0.0', 15, 'ipv4', 'benchmarking'],
  ['198.51.100.0', 24, 'ipv4', 'documentation'],
  ['203.0.113.0', 24, 'ipv4', 'documentation'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  ['64:ff9b::', 96, 'ipv6', 'NAT64'],
  ['100::', 64, 'ipv6', 'discard'],
  ['2001:db8::', 32, 'ipv6', 'documentation'],
  ['fc00::', 7, 'ipv6', 'private (unique local)'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['fec0::', 10, 'ipv6', 'site-local'],
  ['ff00::', 8, 'ipv6', 'multicast'],
];
const SPECIAL_LISTS = SPECIAL.map(([address, prefix, type, label]) => {
  const list = new BlockList();
  list.addSubnet(address, prefix, type);
  return { list, type, label };
});

function specialRange(ip: string, type: 'ipv4' | 'ipv6'): string | null {
  for (const s of SPECIAL_LISTS) if (s.type === type && s.list.check(ip, type)) return s.label;
  return null;
}

/** An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is checked as the IPv4 address it carries. */
function unmapped(address: string): string {
  const dotted = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted) return dotted[1]!;
  // The WHATWG URL parser writes ::ffff:127.0.0.1 as ::ffff:7f00:1.
  const hex = /^(?:0{0,4}:){0,5}:?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (hex) {
    const [hi, lo] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
    return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
  }
  return address.toLowerCase();
}

const isLoopback = (ip: string) => ip === '::1' || ip.startsWith('127.');
const isLoopbackHost = (host: string) => host === 'localhost' || isLoopback(unmapped(host));
/** A URL's hostname without the brackets of an IPv6 literal. */
export const bareHost = (hostname: string) => hostname.replace(/^\[(.*)\]$/, '$1');
const portOf = (url: URL) => (url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80);

function resolveAll(host: string): Promise<string[]> {
  return new Promise((resolve, reject) =>
    dnsLookup(host, { all: true }, (err, all) => (err ? reject(err) : resolve(all.map((a) => a.address)))),
  );
}

type AllowRule =
  | { kind: 'net'; address: string; prefix: number; family: 'ipv4' | 'ipv6' }
  | { kind: 'hostport'; host: string; port: number };

/** One EGRESS_ALLOW entry; throws with a message naming the entry when it is none of the forms. */
export function parseAllowRule(entry: string): AllowRule {
  const e = entry.trim();
  const cidr = /^([^/]+)\/(\d{1,3})$/.exec(e);
  if (cidr && isIP(cidr[1]!)) {
    const family = isIP(cidr[1]!) === 4 ? 'ipv4' : 'ipv6';
    const prefix = Number(cidr[2]);
    if (prefix <= (family === 'ipv4' ? 32 : 128)) return { kind: 'net', address: cidr[1]!, prefix, family };
  }
  if (isIP(e))
    return {
      kind: 'net',
      address: unmapped(e),
      prefix: isIP(e) === 4 ? 32 : 128,
      family: isIP(e) === 4 ? 'ipv4' : 'ipv6',
    };
  const hp = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(e);
  if (hp && Number(hp[2]) > 0 && Number(hp[2]) < 65536)
    return { kind: 'hostport', host: bareHost(hp[1]!).toLowerCase(), port: Number(hp[2]) };
  throw new Error(`"${entry}" is not a CIDR, an IP address or host:port`);
}
