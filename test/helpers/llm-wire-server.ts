// A test's stand-in for the LLM vendors: one HTTP server on 127.0.0.1 (the test egress policy allows it)
// speaking OpenAI (chat completions, responses), Anthropic (messages) and Gemini (generateContent, SSE) wire
// protocols, so the real @ai-sdk/* clients run against it. Answers are scripted per label (one label per
// configured provider, so a fallback test scripts the first to fail and the second to answer); every request
// is recorded (path, headers, body) for assertions on auth headers and models.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { anthropicFormat } from './llm-wire-anthropic.js';
import { completionOf, type WireFormat } from './llm-wire-format.js';
import { googleFormat } from './llm-wire-google.js';
import { openaiFormat } from './llm-wire-openai.js';
import {
  defaultAnswer,
  type WireAnswer,
  type WireHandler,
  type WireRequest,
  type WireVendor,
} from './llm-wire-types.js';

export * from './llm-wire-types.js';

const formats: Record<WireVendor, WireFormat> = {
  openai: openaiFormat,
  anthropic: anthropicFormat,
  google: googleFormat,
};

/** The path each SDK appends its routes to, after `/<vendor>/<label>`. */
const basePaths: Record<WireVendor, string> = { openai: '/v1', anthropic: '/v1', google: '/v1beta' };

export interface LlmWireServer {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** The base URL to give a provider (`baseURL` of the SDK): its requests are scripted and recorded under `label`. */
  baseUrl(vendor: WireVendor, label?: string): string;
  /**
   * Scripts `label`'s next answers (one per request, in order; then the handler if given, else the default:
   * an echo, or a sample of the asked JSON schema). A function answers every request of the label.
   */
  script(label: string, answers: WireAnswer[] | WireHandler): void;
  /** Every request so far, oldest first. */
  requests: WireRequest[];
  requestsFor(label: string): WireRequest[];
  /** Forgets scripts and recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

export async function startLlmWireServer(): Promise<LlmWireServer> {
  const requests: WireRequest[] = [];
  const queues = new Map<string, WireAnswer[]>();
  const handlers = new Map<string, WireHandler>();
  const sockets = new Set<Socket>();

  const answerFor = (req: WireRequest): WireAnswer => {
    const queued = queues.get(req.label)?.shift();
    if (queued) return queued;
    return (handlers.get(req.label) ?? defaultAnswer)(req);
  };

  const server = createServer((httpReq, res) => {
    let raw = '';
    httpReq.on('data', (d: Buffer) => (raw += d.toString()));
    httpReq.on('end', () => {
      const url = new URL(httpReq.url ?? '/', 'http://wire');
      const [, vendor, label, ...rest] = url.pathname.split('/');
      const format = formats[vendor as WireVendor];
      if (!format || !label) return send(res, 404, {}, { error: { message: `no vendor at ${url.pathname}` } });
      let body: Record<string, unknown> = {};
      try {
        body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      } catch {
        return send(res, 400, {}, { error: { message: 'body is not JSON' } });
      }
      const path = `/${rest.join('/')}`;
      const req: WireRequest = {
        vendor: vendor as WireVendor,
        label,
        method: httpReq.method ?? '',
        path,
        query: url.searchParams,
        headers: httpReq.headers,
        body,
        ...format.parse(path, body),
      };
      requests.push(req);
      respond(res, format, req, answerFor(req));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    baseUrl: (vendor, label = vendor) => `${url}/${vendor}/${label}${basePaths[vendor]}`,
    script(label, answers) {
      if (typeof answers === 'function') handlers.set(label, answers);
      else queues.set(label, [...(queues.get(label) ?? []), ...answers]);
    },
    requests,
    requestsFor: (label) => requests.filter((r) => r.label === label),
    reset() {
      requests.length = 0;
      queues.clear();
      handlers.clear();
    },
    close() {
      // Hung answers keep their sockets open: end them so close returns.
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

function respond(res: ServerResponse, format: WireFormat, req: WireRequest, answer: WireAnswer): void {
  if ('hang' in answer) return;
  if ('fail' in answer) {
    const e = format.error(answer.fail, answer.retryAfterSeconds, answer.message);
    if (e.status === 200 && req.stream) return sse(res, [{ data: e.body }]);
    return send(res, e.status, e.headers, e.body);
  }
  const completion = completionOf(req, answer);
  const stallAfter = 'stallAfter' in answer ? answer.stallAfter : undefined;
  if (req.stream) return sse(res, format.sse(req, completion), stallAfter);
  send(res, 200, {}, format.json(req, completion));
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function sse(res: ServerResponse, events: { event?: string; data: unknown }[], stallAfter?: number): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  for (const e of events.slice(0, stallAfter)) {
    const data = typeof e.data === 'string' ? e.data : JSON.stringify(e.data);
    res.write(`${e.event ? `event: ${e.event}\n` : ''}data: ${data}\n\n`);
  }
  if (stallAfter === undefined) res.end();
}
