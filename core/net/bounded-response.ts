import type { GuardedFetch } from './guarded-fetch.js';

/** Thrown (as the body stream's error) when an answer is longer than its bound. */
export class ResponseTooLarge extends Error {
  constructor(
    readonly host: string,
    readonly maxBytes: number,
  ) {
    super(`The answer from ${host} is longer than ${maxBytes} bytes`);
    this.name = 'ResponseTooLarge';
  }
}

/**
 * A fetch whose answers' bodies end with ResponseTooLarge past `maxBytes`: an endpoint a tenant names (an
 * LLM provider's base URL) cannot fill the worker's memory with one answer, streamed or not.
 */
export function boundedResponses(fetch: GuardedFetch, maxBytes: number): GuardedFetch {
  return async (url, init) => {
    const res = await fetch(url, init);
    if (!res.body) return res;
    const host = new URL(String(url)).host;
    let seen = 0;
    const body = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          seen += chunk.byteLength;
          if (seen > maxBytes) controller.error(new ResponseTooLarge(host, maxBytes));
          else controller.enqueue(chunk);
        },
      }),
    );
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}
