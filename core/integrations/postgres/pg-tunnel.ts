/**
 * A TCP connection to the database through the sandbox's only way out, the egress proxy at HTTPS_PROXY
 * (core/net/egress-proxy.ts): `CONNECT host:port`, and once it answers 200 the socket is the database's.
 * The proxy checks the address against the egress policy; its refusal (403 and the reason) is an error
 * naming the reason. Without a proxy in the environment (a server run by hand) it connects directly.
 */
import net from 'node:net';
import { VendorError } from '../server/vendor-error.js';
import { VENDOR } from './pg-credential.js';

const MAX_HEAD = 16 * 1024;

/** The proxy this process must use for `host:port`, if any (NO_PROXY names exact hosts or host:port). */
export function proxyFor(host: string, port: number, env: NodeJS.ProcessEnv = process.env): URL | undefined {
  const raw = env.HTTPS_PROXY ?? env.https_proxy ?? env.HTTP_PROXY ?? env.http_proxy;
  if (!raw || !URL.canParse(raw)) return undefined;
  const bypass = (env.NO_PROXY ?? env.no_proxy ?? '').split(',').map((s) => s.trim().toLowerCase());
  if (bypass.includes(host.toLowerCase()) || bypass.includes(`${host.toLowerCase()}:${port}`)) return undefined;
  return new URL(raw);
}

/**
 * A socket to `host:port` through `proxy`, its CONNECT answered, paused (resume it once its reader
 * listens); rejects with a VendorError otherwise.
 */
export function openTunnel(proxy: URL, host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  const target = net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(proxy.port || 80), proxy.hostname.replace(/^\[(.*)\]$/, '$1'));
    let head = Buffer.alloc(0);
    let settled = false;
    const done = (err?: VendorError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      if (err) {
        socket.destroy();
        reject(err);
      }
    };
    const timer = setTimeout(() => done(unreachable(target, 'the egress proxy did not answer in time')), timeoutMs);
    let refusal: { status: number; at: number } | undefined;
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      if (head.length > MAX_HEAD) return done(unreachable(target, 'the egress proxy answered too long a head'));
      const end = head.indexOf('\r\n\r\n');
      if (refusal || end === -1) return;
      const status = Number(
        /^HTTP\/1\.[01] (\d{3})/.exec(head.subarray(0, head.indexOf('\r\n')).toString('latin1'))?.[1],
      );
      // A refusal ends the connection after its reason: read on until then.
      if (status !== 200) return void (refusal = { status, at: end + 4 });
      const rest = head.subarray(end + 4);
      done();
      // Paused with what came after the 200 put back, so none of it is emitted before its reader listens.
      socket.pause();
      if (rest.length > 0) socket.unshift(rest);
      resolve(socket);
    };
    socket.once('end', () => {
      if (refusal) done(refused(target, refusal.status, head.subarray(refusal.at).toString('utf8')));
    });
    socket.once('connect', () => socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`));
    socket.on('data', onData);
    socket.once('error', (err) => done(unreachable(target, `the egress proxy could not be reached (${err.message})`)));
    socket.once('close', () => done(unreachable(target, 'the egress proxy closed the connection')));
  });
}

function unreachable(target: string, why: string): VendorError {
  return new VendorError(VENDOR, 503, 'unreachable', `${VENDOR} at ${target} could not be reached: ${why}`);
}

function refused(target: string, status: number, reason: string): VendorError {
  const said = reason.trim().slice(0, 300);
  if (status === 403)
    return new VendorError(
      VENDOR,
      403,
      'egress_denied',
      `${VENDOR} at ${target} is not allowed by the egress policy: ${said}`,
    );
  return unreachable(target, `the egress proxy answered ${status}${said ? `: ${said}` : ''}`);
}
