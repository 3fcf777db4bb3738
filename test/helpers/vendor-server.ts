// A test's stand-in for a vendor's API: an HTTP server on 127.0.0.1 (the test egress policy allows it)
// answering every request with what the test says, and keeping what each request carried.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface VendorServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** Starts a server answering with `answer` (called once each request's body is read). */
export async function vendorServer(
  answer: (req: IncomingMessage, res: ServerResponse, seen: SeenRequest) => void,
): Promise<VendorServer> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      seen.push(request);
      answer(req, res, request);
    });
  }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** Answers JSON with a status (and headers). */
export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}
