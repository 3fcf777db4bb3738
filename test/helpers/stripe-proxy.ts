// A small HTTP proxy in front of stripe-mock for what stripe-mock cannot do: record what reached "Stripe",
// be down for a while, answer slowly, or answer one request with an error Stripe would give (a card
// declined, 429). Everything else is stripe-mock's own answer.
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inject } from 'vitest';

export interface StripeRequest {
  method: string;
  path: string;
  /** The form body as Stripe's API takes it, decoded (`payload[value]` stays one key). */
  form: Record<string, string>;
  idempotencyKey: string | undefined;
}

export interface StripeFault {
  /** Which request it answers: method and path prefix. */
  method: string;
  path: string;
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** How many times (default: once). */
  times?: number;
}

export interface StripeProxy {
  url: string;
  requests: StripeRequest[];
  /** While true every request fails as a connection reset (Stripe unreachable); nothing is recorded. */
  down: boolean;
  /** Extra wait before each forwarded answer, in ms. */
  delayMs: number;
  fault(f: StripeFault): void;
  close(): Promise<void>;
}

/** Starts the proxy on 127.0.0.1 in front of the run's stripe-mock. */
export async function startStripeProxy(): Promise<StripeProxy> {
  const upstream = new URL(inject('stripeApiBase'));
  const faults: Array<StripeFault & { left: number }> = [];
  const proxy: StripeProxy = {
    url: '',
    requests: [],
    down: false,
    delayMs: 0,
    fault: (f) => void faults.push({ ...f, left: f.times ?? 1 }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = createServer((req, res) => {
    if (proxy.down) return void req.socket.destroy();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = req.url ?? '/';
      proxy.requests.push({
        method: req.method ?? 'GET',
        path,
        form: Object.fromEntries(new URLSearchParams(body.toString('utf8'))),
        idempotencyKey: req.headers['idempotency-key'] as string | undefined,
      });
      const fault = faults.find((f) => f.left > 0 && f.method === req.method && path.startsWith(f.path));
      if (fault) {
        fault.left--;
        res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
        return void res.end(JSON.stringify(fault.body));
      }
      const forward = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path, headers: req.headers },
        (up) => {
          setTimeout(() => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
          }, proxy.delayMs);
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
