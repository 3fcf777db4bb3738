import {
  chmodSync,
  chownSync,
  closeSync,
  constants,
  fstatSync,
  mkdirSync,
  openSync,
  realpathSync,
  rmSync,
} from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import path from 'node:path';
import type { SandboxBridges } from '../mcp/sandbox.js';

/** A host address a service may reach from inside, at 127.0.0.1:innerPort there (the emulator's PostgreSQL). */
export interface ReachRoute {
  innerPort: number;
  host: string;
  port: number;
}

/** The host side of a service's bridges: its URL on 127.0.0.1, and what the sandbox is given. */
export interface HostBridges {
  url: string;
  sandbox: SandboxBridges;
  close(): Promise<void>;
}

// Linux's O_PATH (not in fs.constants): an fd naming the file itself, never opened for reading.
const O_PATH = 0o10000000;
// sockaddr_un.sun_path holds 108 bytes, the last a NUL.
const MAX_SOCKET_PATH = 107;
const MAX_CONNECTIONS = 256;

/** Where a service's sockets live: beside the work dirs, not in its own dir (`<workRoot>/.bridges/<id>`). */
export function bridgeDir(workRoot: string, serviceId: string): string {
  return path.resolve(workRoot, '.bridges', serviceId.replace(/[^A-Za-z0-9_-]/g, '_') || '_');
}

/**
 * Makes a fresh bridge dir `at.dir` (0700, the sandbox uid's once the host's own sockets are in it), a
 * listener per `reach` route there (0600, the uid's) that connects to its host address, and a TCP listener
 * on a free port of 127.0.0.1 that connects each client to the ingress socket the forwarder inside will make
 * (which connects to `innerPort`). `close` (idempotent) ends every connection and removes the dir.
 */
export async function openBridges(at: {
  dir: string;
  uid: number | undefined;
  innerPort: number;
  reach: ReachRoute[];
}): Promise<HostBridges> {
  const { uid, innerPort } = at;
  // The worker's until its own sockets are in it: as root, nothing of the sandbox's uid can plant anything first.
  rmSync(at.dir, { recursive: true, force: true });
  mkdirSync(path.dirname(at.dir), { recursive: true, mode: 0o711 });
  mkdirSync(at.dir, { mode: 0o700 });
  const dir = realpathSync(at.dir);
  const servers: Server[] = [];
  const open = new Set<Socket>();
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      for (const s of open) s.destroy();
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
      rmSync(dir, { recursive: true, force: true });
    })());
  const ingress = path.join(dir, 'in.sock');
  const reach = at.reach.map((r) => ({ ...r, socket: path.join(dir, `r${r.innerPort}.sock`) }));
  try {
    for (const p of [ingress, ...reach.map((r) => r.socket)])
      if (Buffer.byteLength(p) > MAX_SOCKET_PATH)
        throw new Error(
          `the socket path ${p} is longer than ${MAX_SOCKET_PATH} bytes: give sandboxes a shorter work root`,
        );
    for (const r of reach) {
      const server = piping(open, () => createConnection({ host: r.host, port: r.port }));
      servers.push(server);
      await listen(server, r.socket);
      chmodSync(r.socket, 0o600);
      if (uid !== undefined) chownSync(r.socket, uid, uid);
    }
    if (uid !== undefined) chownSync(dir, uid, uid);
    const sandboxUid = uid ?? process.getuid!();
    const tcp = piping(open, () => connectOwnSocket(ingress, sandboxUid));
    tcp.maxConnections = MAX_CONNECTIONS;
    servers.push(tcp);
    await listen(tcp, 0, '127.0.0.1');
    return {
      url: `http://127.0.0.1:${(tcp.address() as AddressInfo).port}`,
      sandbox: {
        dir,
        ingress: { socket: ingress, port: innerPort },
        reach: reach.map((r) => ({ port: r.innerPort, socket: r.socket })),
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Connects to a socket the sandbox made. The sandbox owns the dir it is in and could swap the socket for a
 * symlink to any socket of the host's; so the file itself is opened (O_PATH, O_NOFOLLOW), checked to be a
 * socket of the sandbox's uid, and connected to through that fd, leaving no moment to swap it in between.
 */
function connectOwnSocket(socketPath: string, uid: number): Socket {
  const fd = openSync(socketPath, O_PATH | constants.O_NOFOLLOW);
  try {
    const st = fstatSync(fd);
    if (!st.isSocket() || st.uid !== uid) throw new Error(`${socketPath} is not the sandbox's socket`);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  const socket = createConnection(`/proc/self/fd/${fd}`);
  let closed = false;
  const release = () => (closed ? undefined : ((closed = true), closeSync(fd)));
  return socket.once('connect', release).once('close', release);
}

/** A server piping each client to what `connect` returns; a failure on either side closes both. */
function piping(open: Set<Socket>, connect: () => Socket): Server {
  return createServer((client) => {
    open.add(client);
    client.once('close', () => open.delete(client));
    client.on('error', () => client.destroy());
    let upstream: Socket;
    try {
      upstream = connect();
    } catch {
      client.destroy();
      return;
    }
    open.add(upstream);
    upstream.once('close', () => (open.delete(upstream), client.destroy()));
    upstream.on('error', () => upstream.destroy());
    client.once('close', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
}

function listen(server: Server, ...at: [path: string] | [port: number, host: string]): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    if (at.length === 1) server.listen(at[0], () => resolve());
    else server.listen(at[0], at[1], () => resolve());
  });
}
