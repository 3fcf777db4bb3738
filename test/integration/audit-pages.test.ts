// GET /v1/audit over the real API and database: every event is reachable, newest first, a page at a time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatform } from '../helpers/platform.js';
import { call, createOrg } from '../helpers/stack.js';

let api: Awaited<ReturnType<typeof startPlatform>>;
beforeAll(async () => {
  api = await startPlatform({ worker: 'none' });
});
afterAll(async () => {
  await api?.stop();
});

interface Event {
  id: string;
  action: string;
  invocationId: string | null;
}

async function seed(orgId: string, n: number, invocationId: string | null = null) {
  const rows = Array.from({ length: n }, (_, i) => ({
    org_id: orgId,
    actor: 'system',
    action: `test.event_${i}`,
    invocation_id: invocationId,
  }));
  await api.db.batchInsert('audit_events', rows, 500);
}

async function allPages(key: string, query: string) {
  const pages: Event[][] = [];
  let cursor: string | null = null;
  do {
    const r = await call(`${api.url}/v1/audit?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, {
      key,
    });
    expect(r.status, r.text).toBe(200);
    pages.push(r.json.data);
    cursor = r.json.nextCursor;
  } while (cursor && pages.length < 10);
  return pages;
}

describe('GET /v1/audit', () => {
  it('reaches every one of more than 500 events, newest first, through nextCursor', async () => {
    const org = await createOrg(api.db, 'audit-pages');
    await seed(org.org.id, 1_203);
    const total = Number(
      (await api.db('audit_events').where({ org_id: org.org.id }).count<{ count: string }[]>('* as count'))[0]!.count,
    );
    expect(total).toBeGreaterThanOrEqual(1_203);

    const pages = await allPages(org.adminKey, 'limit=500');
    expect(pages.map((p) => p.length)).toEqual([500, 500, total - 1_000]);
    const ids = pages.flat().map((e) => BigInt(e.id));
    expect(new Set(ids).size).toBe(total);
    for (let i = 1; i < ids.length; i++) expect(ids[i]! < ids[i - 1]!).toBe(true);
    // The newest seeded event comes first; the oldest event of the org comes last.
    expect(pages[0]![0]!.action).toBe('test.event_1202');

    const first = await call(`${api.url}/v1/audit`, { key: org.adminKey });
    expect(first.json.data).toHaveLength(100);
    expect(first.json.nextCursor).toEqual(expect.any(String));
    expect((await call(`${api.url}/v1/audit?limit=501`, { key: org.adminKey })).status).toBe(400);
  });

  it('keeps the invocationId filter across pages and rejects a cursor it did not issue', async () => {
    const org = await createOrg(api.db, 'audit-filter');
    const invocationId = crypto.randomUUID();
    await seed(org.org.id, 7, invocationId);
    await seed(org.org.id, 20);
    const pages = await allPages(org.adminKey, `invocationId=${invocationId}&limit=3`);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat().every((e) => e.invocationId === invocationId)).toBe(true);
    expect(pages.flat().map((e) => e.action)).toEqual(Array.from({ length: 7 }, (_, i) => `test.event_${6 - i}`));

    const bad = await call(`${api.url}/v1/audit?cursor=not-a-cursor`, { key: org.adminKey });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('invalid_cursor');
    // Another org's cursor only positions the page: it never shows that org's events.
    const other = await createOrg(api.db, 'audit-other');
    const foreign = await call(`${api.url}/v1/audit?limit=1`, { key: org.adminKey });
    const seen = await call(`${api.url}/v1/audit?cursor=${foreign.json.nextCursor}`, { key: other.adminKey });
    expect(seen.json.data.every((e: Event) => e.invocationId !== invocationId)).toBe(true);
  });
});
