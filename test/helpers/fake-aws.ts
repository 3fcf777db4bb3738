// A local HTTP server that answers like an AWS service does: each request gets the next canned answer of
// the service it is for (EC2 and S3 speak XML, Lambda JSON), so a test sees the SDK parse AWS's own shapes.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CannedAnswer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export interface FakeAws {
  url: string;
  /** Every request as received: method, path and the service its SigV4 scope names. */
  requests: Array<{ method: string; path: string; service: string }>;
  close(): Promise<void>;
}

/** EC2's error document (the Query protocol): `<Response><Errors><Error>…`. */
export const ec2Error = (status: number, code: string, message: string): CannedAnswer => ({
  status,
  headers: { 'content-type': 'text/xml;charset=UTF-8' },
  body:
    `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code>` +
    `<Message>${message}</Message></Error></Errors><RequestID>0f7e7a5c-5c0e-4c39-8d5c-6a6f5e5d4c3b</RequestID></Response>`,
});

/** S3's error document (REST-XML): `<Error><Code>…`, which for a bad key names the key id it was given. */
export const s3Error = (status: number, code: string, message: string, extra = ''): CannedAnswer => ({
  status,
  headers: { 'content-type': 'application/xml', 'x-amz-request-id': '4442587FB7D0A2F9' },
  body:
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${extra}` +
    '<RequestId>4442587FB7D0A2F9</RequestId><HostId>bm90IGEgcmVhbCBob3N0IGlk</HostId></Error>',
});

/** Lambda's error (REST-JSON): the type in x-amzn-errortype, the message in the body. */
export const lambdaError = (
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): CannedAnswer => ({
  status,
  headers: { 'content-type': 'application/json', 'x-amzn-errortype': `${type}:`, ...headers },
  body: JSON.stringify({ Type: 'User', message }),
});

// The service a SigV4 request is signed for: `Credential=<key>/<date>/<region>/<service>/aws4_request`.
function serviceOf(req: IncomingMessage): string {
  return /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? 'unknown';
}

/**
 * Starts the fake on 127.0.0.1: `answers[service]` is a list, answered in turn (its last answer repeats).
 */
export async function startFakeAws(answers: Record<string, CannedAnswer[]>): Promise<FakeAws> {
  const requests: FakeAws['requests'] = [];
  const served: Record<string, number> = {};
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const service = serviceOf(req);
      requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', service });
      const list = answers[service] ?? [];
      const i = served[service] ?? 0;
      served[service] = i + 1;
      const answer = list[Math.min(i, list.length - 1)] ?? { status: 500, body: 'no canned answer' };
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
