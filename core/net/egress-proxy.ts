import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import type { Logger } from '../log.js';
import { bareHost, type EgressPolicy } from './egress.js';

const MAX_HEAD = 16 * 1024;

/**
 * The only way out of a sandboxed stdio server with `network: true`: an HTTP proxy on a unix socket that
 * the sandbox mounts (its own network namespace has no route anywhere). Each request names its target:
 * `CONNECT host:port` (HTTPS and anything tunnelled) or an absolute-form `GET http://host:port/…`. The
 * proxy resolves the host, checks every address against the egress policy and connects to the checked
 * address itself, so neither an internal address nor DNS rebinding gets through; a refusal is a 403 with
 * the reason, never a connection.
 */
export class EgressProxy {
  private readonly servers = new Map<string, Server>();

  constructor(
    private readonly policy: EgressPolicy,
    private readonly logger: Logger,
  ) {}

  /**
   * Listens on `socketPath` for one server's sandbox (idempotent); the socket is connectable by its uid.
   * `alsoAllow` (EGRESS_ALLOW syntax) widens the policy for this server only: a sandbox's own MCP server
   * reaches its sandbox's port on 127.0.0.1 that way, and no other address of the host.
   */
  async listen(socketPath: string, serverName: string, alsoAllow: string[] = []): Promise<void> {
    if (this.servers.has(socketPath)) return;
    // The sandbox's uid walks into the dir to reach its socket; it lists nothing there.
    mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o711 });
    rmSync(socketPath, { force: true });
    const policy = this.policy.including(alsoAllow);
    const server = createServer((client) => this.handle(client, serverName, policy));
    this.servers.set(socketPath, server);
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socketPath, () => resolve()));
    chmodSync(socketPath, 0o666);
  }

  async close(socketPath?: string): Promise<void> {
    const paths = socketPath ? [socketPath] : [...this.servers.keys()];
    await Promise.all(
      paths.map(async (p) => {
        const s = this.servers.get(p);
        this.servers.delete(p);
        if (s) await new Promise((r) => s.close(r));
        rmSync(p, { force: true });
      }),
    );
  }

  private handle(client: Socket, serverName: string, policy: EgressPolicy): void {
    let head = Buffer.alloc(0);
    client.on('error', () => client.destroy());
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) {
        if (head.length > MAX_HEAD) refuse(client, 431, 'request head too large');
        return;
      }
      client.off('data', onData);
      client.pause();
      void this.forward(client, head, end, serverName, policy);
    };
    client.on('data', onData);
  }

  private async forward(
    client: Socket,
    head: Buffer,
    end: number,
    serverName: string,
    policy: EgressPolicy,
  ): Promise<void> {
    const firstLine = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
    const [method, target, version] = firstLine.split(' ');
    let host: string;
    let port: number;
    let rest: Buffer;
    if (method === 'CONNECT') {
      const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(target ?? '');
      if (!m) return refuse(client, 400, 'CONNECT needs host:port');
      [host, port] = [m[1]!, Number(m[2])];
      rest = head.subarray(end + 4);
    } else {
      if (!target || !URL.canParse(target) || !/^http:$/.test(new URL(target).protocol))
        return refuse(client, 400, 'only CONNECT and absolute http:// requests go through the egress proxy');
      const url = new URL(target);
      [host, port] = [bareHost(url.hostname), Number(url.port || 80)];
      // Origin-form towards the server, and one request per connection: a kept-alive connection would carry
      // the client's next request (to any host) to this one. The body passes through untouched.
      const headers = head
        .subarray(head.indexOf('\r\n') + 2, end)
        .toString('latin1')
        .split('\r\n')
        .filter((h) => !/^(connection|proxy-connection|keep-alive):/i.test(h));
      rest = Buffer.concat([
        Buffer.from(
          [`${method} ${url.pathname}${url.search} ${version}`, ...headers, 'connection: close', '', ''].join('\r\n'),
          'latin1',
        ),
        head.subarray(end + 4),
      ]);
    }
    let address: string;
    try {
      [address] = (await policy.allowedAddresses(host, port)) as [string];
    } catch (err) {
      this.logger.warn({ mcpServer: serverName, host, port, reason: (err as Error).message }, 'egress refused');
      return refuse(client, 403, (err as Error).message);
    }
    const upstream = createConnection({ host: address, port });
    upstream.once('connect', () => {
      if (method === 'CONNECT') client.write(`${version ?? 'HTTP/1.1'} 200 Connection Established\r\n\r\n`);
      if (rest.length > 0) upstream.write(rest);
      client.pipe(upstream).pipe(client);
      client.resume();
    });
    upstream.once('error', () =>
      client.writable && !client.destroyed
        ? refuse(client, 502, `could not connect to ${host}:${port}`)
        : client.destroy(),
    );
    client.once('close', () => upstream.destroy());
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  431: 'Request Header Fields Too Large',
  502: 'Bad Gateway',
};

function refuse(client: Socket, status: number, reason: string): void {
  const body = `${reason}\n`;
  client.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
