import type { Knex } from 'knex';
import { badRequest } from '../errors.js';

/** One page of a newest-first list; `nextCursor` is null on the last page. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/**
 * Runs `q` newest first by `column` (a bigint sequence), `limit` rows after `cursor` (400 `invalid_cursor` for one
 * this API did not issue). The cursor is opaque to
 * clients: the base64url of the last row's sequence, so a page never shifts when new rows arrive.
 */
export async function newestFirst<T extends object>(
  q: Knex.QueryBuilder,
  column: string,
  limit: number,
  cursor?: string,
): Promise<Page<T>> {
  if (cursor) q.andWhere(column, '<', decodeCursor(cursor));
  const rows = (await q.orderBy(column, 'desc').limit(limit + 1)) as T[];
  const data = rows.slice(0, limit);
  const last = data[data.length - 1] as Record<string, unknown> | undefined;
  return {
    data,
    nextCursor: rows.length > limit && last ? Buffer.from(`s:${String(last[column])}`).toString('base64url') : null,
  };
}

function decodeCursor(cursor: string): string {
  const m = /^s:(\d{1,18})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw badRequest('invalid_cursor', 'cursor is not one this API issued');
  return m[1]!;
}
