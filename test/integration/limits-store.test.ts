// The execution-limit statements against the run's real PostgreSQL: shared state, atomic under concurrency.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../core/db/knex.js';
import { McpServerRepository } from '../../core/db/mcp-server.repository.js';
import { CircuitBreakers } from '../../core/limits/circuit-breaker.js';
import { ConcurrencyLimiter } from '../../core/limits/concurrency-limiter.js';
import { RateLimiter } from '../../core/limits/rate-limiter.js';
import { createOrg, testDb } from '../helpers/stack.js';
import { sleep } from '../helpers/wait.js';

let db: Db;
let orgId: string;
beforeAll(async () => {
  db = testDb();
  orgId = (await createOrg(db, 'limits-store')).org.id;
});
afterAll(() => db?.destroy());

async function newServer() {
  const row = await new McpServerRepository(db).create({
    org_id: orgId,
    name: `s-${randomUUID().slice(0, 8)}`,
    transport: 'http',
    command: null,
    args: [],
    env: {},
    url: 'http://127.0.0.1:9/mcp',
    headers: {},
  });
  return row.id;
}

describe('RateLimiter', () => {
  it('grants a burst of one second of calls, then names the wait for the next token', async () => {
    const rates = new RateLimiter(db);
    const key = randomUUID();
    expect(await rates.take('server', key, 2)).toEqual({ granted: true });
    expect(await rates.take('server', key, 2)).toEqual({ granted: true });
    const refused = await rates.take('server', key, 2);
    expect(refused.granted).toBe(false);
    expect(refused.granted === false && refused.retryAfterMs).toBeGreaterThan(300);
    expect(refused.granted === false && refused.retryAfterMs).toBeLessThanOrEqual(500);
    await sleep(520); // the time is the point: the wait it named (at most 500 ms) refills a token
    expect(await rates.take('server', key, 2)).toEqual({ granted: true });
  });

  it('never grants more than the bucket holds to concurrent callers', async () => {
    const rates = new RateLimiter(db);
    const key = randomUUID();
    const started = performance.now();
    const verdicts = await Promise.all(Array.from({ length: 20 }, () => rates.take('org', key, 5)));
    // The bucket's 5, plus what refilled (one every 200 ms) while a loaded machine ran the 20.
    const refilled = Math.floor(((performance.now() - started) * 5) / 1000);
    const granted = verdicts.filter((v) => v.granted).length;
    expect(granted).toBeGreaterThanOrEqual(5);
    expect(granted).toBeLessThanOrEqual(5 + refilled);
  });

  it('grants two concurrent callers the two tokens a full bucket holds, whichever gets the row lock first', async () => {
    const rates = new RateLimiter(db);
    // Judged by the time its transaction began, the caller that waited for the lock was refused by microseconds.
    for (let round = 0; round < 40; round++) {
      const key = randomUUID();
      const verdicts = await Promise.all([rates.take('org', key, 2), rates.take('org', key, 2)]);
      expect(verdicts, `round ${round}`).toEqual([{ granted: true }, { granted: true }]);
    }
  });

  it('gives a refunded token back', async () => {
    const rates = new RateLimiter(db);
    const key = randomUUID();
    expect((await rates.take('server', key, 0.5)).granted).toBe(true);
    expect((await rates.take('server', key, 0.5)).granted).toBe(false);
    await rates.refund('server', key, 0.5);
    expect((await rates.take('server', key, 0.5)).granted).toBe(true);
  });
});

describe('ConcurrencyLimiter', () => {
  it('holds at most max slots, frees a released one, and takes over an expired lease', async () => {
    const slots = new ConcurrencyLimiter(db);
    const server = await newServer();
    const a = await slots.tryAcquire(server, 2, 60_000);
    const b = await slots.tryAcquire(server, 2, 300);
    expect(a && b && a.slot !== b.slot).toBe(true);
    expect(await slots.tryAcquire(server, 2, 60_000)).toBeUndefined();
    expect(await slots.inUse(server)).toBe(2);
    await slots.release(a!);
    const c = await slots.tryAcquire(server, 2, 60_000);
    expect(c?.slot).toBe(a!.slot);
    await sleep(350); // b's lease lapses, as if its worker had died mid-call
    const d = await slots.tryAcquire(server, 2, 60_000);
    expect(d?.slot).toBe(b!.slot);
    await slots.release(b!); // a lapsed holder's release does not free the new holder's slot
    expect(await slots.inUse(server)).toBe(2);
  });

  it('never hands out more slots than max to concurrent callers', async () => {
    const slots = new ConcurrencyLimiter(db);
    const server = await newServer();
    const leases = await Promise.all(Array.from({ length: 12 }, () => slots.tryAcquire(server, 3, 60_000)));
    const held = leases.filter((l) => l !== undefined);
    expect(held.length).toBeGreaterThan(0);
    expect(held.length).toBeLessThanOrEqual(3);
    expect(new Set(held.map((l) => l.slot)).size).toBe(held.length);
  });
});

describe('CircuitBreakers', () => {
  const settings = { breakerThreshold: 3, breakerCooldownMs: 300, probeLeaseMs: 60_000 };

  it('opens after threshold consecutive failures; a success in between resets the count', async () => {
    const breakers = new CircuitBreakers(db);
    const server = await newServer();
    await breakers.recordFailure(server, 3);
    await breakers.recordFailure(server, 3);
    expect(await breakers.recordSuccess(server)).toBe(false);
    expect((await breakers.read(server)).row).toMatchObject({ state: 'closed', consecutive_failures: 0 });
    expect((await breakers.recordFailure(server, 3)).opened).toBe(false);
    expect((await breakers.recordFailure(server, 3)).opened).toBe(false);
    const third = await breakers.recordFailure(server, 3);
    expect(third).toMatchObject({ opened: true, row: { state: 'open', consecutive_failures: 3 } });
    expect((await breakers.recordFailure(server, 3)).opened).toBe(false); // a late failure keeps opened_at
    const refused = await breakers.admit(server, settings);
    expect(refused.allowed).toBe(false);
  });

  it('lets exactly one caller probe after the cooldown; its failure re-opens, its success closes', async () => {
    const breakers = new CircuitBreakers(db);
    const server = await newServer();
    for (let i = 0; i < 3; i++) await breakers.recordFailure(server, 3);
    await sleep(320); // past the 300 ms cooldown
    const admits = await Promise.all(Array.from({ length: 6 }, () => breakers.admit(server, settings)));
    expect(admits.filter((a) => a.allowed && a.probe)).toHaveLength(1);
    expect(admits.filter((a) => a.allowed)).toHaveLength(1);
    expect((await breakers.recordFailure(server, 3)).opened).toBe(true);
    expect((await breakers.admit(server, settings)).allowed).toBe(false);
    await sleep(320); // past the re-opened breaker's cooldown
    expect(await breakers.admit(server, settings)).toMatchObject({ allowed: true, probe: true });
    expect(await breakers.recordSuccess(server)).toBe(true);
    expect(await breakers.admit(server, settings)).toMatchObject({
      allowed: true,
      probe: false,
      row: { state: 'closed' },
    });
  });

  it('hands the probe to another caller when its holder gives it back or its lease lapses', async () => {
    const breakers = new CircuitBreakers(db);
    const server = await newServer();
    const short = { ...settings, probeLeaseMs: 200 };
    for (let i = 0; i < 3; i++) await breakers.recordFailure(server, 3);
    await sleep(320); // past the 300 ms cooldown
    expect(await breakers.admit(server, short)).toMatchObject({ allowed: true, probe: true });
    await breakers.releaseProbe(server);
    expect(await breakers.admit(server, short)).toMatchObject({ allowed: true, probe: true });
    expect((await breakers.admit(server, short)).allowed).toBe(false);
    await sleep(220); // the probe's worker died: its lease lapses
    expect(await breakers.admit(server, short)).toMatchObject({ allowed: true, probe: true });
  });
});
