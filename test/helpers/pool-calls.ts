import { pino } from 'pino';
import { expect } from 'vitest';
import { McpCallError } from '../../core/mcp/client-pool.js';
import { testPool } from './stack.js';

/** A test pool whose log lines (the servers' stderr among them) the test can read. */
export function loggedPool(opts: Parameters<typeof testPool>[0] = {}) {
  const lines: Array<{ level: number; msg: string; mcpServer?: string }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { pool: testPool({ logger, connectTimeoutMs: 15_000, ...opts }), lines };
}

/** The McpCallError a pool call fails with (the test fails when it fails otherwise, or not at all). */
export async function failureOf(promise: Promise<unknown>): Promise<McpCallError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(McpCallError);
  return err as McpCallError;
}

/** A tool result's text parts, joined. */
export const textOf = (result: { content: Array<{ type: string; text?: string }> }) =>
  result.content.map((c) => c.text ?? '').join('');
