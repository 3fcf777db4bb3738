import net from 'node:net';

/**
 * Sends `head` (request line and headers, no final blank line) and `body` over a plain socket, for
 * requests fetch refuses to send (a NUL in a header value). Answers the status and the parsed JSON body.
 */
export function rawHttp(
  baseUrl: string,
  head: string,
  body = '',
): Promise<{ status: number; text: string; json: unknown }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    let raw = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (raw += d));
    socket.on('error', reject);
    socket.on('end', () => {
      const [headText = '', text = ''] = raw.split('\r\n\r\n', 2);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(headText)?.[1] ?? 0), text: raw, json });
    });
    socket.end(
      `${head}\r\nHost: ${hostname}:${port}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
