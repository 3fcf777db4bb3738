import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';

describe('waitFor', () => {
  it('returns the first value that satisfies the condition, and reads no more', async () => {
    let reads = 0;
    const value = await waitFor(
      () => ++reads,
      (n) => n === 3,
      { what: 'the third read', intervalMs: 1 },
    );
    expect(value).toBe(3);
    expect(reads).toBe(3);
  });

  it('keeps polling through a read that throws', async () => {
    let reads = 0;
    const read = async () => {
      if (++reads < 3) throw new Error('not up yet');
      return { up: true };
    };
    expect(await waitFor(read, (v) => v.up, { what: 'the server up', intervalMs: 1 })).toEqual({ up: true });
  });

  it('fails after the timeout naming what it waited for, the last value and the last error', async () => {
    let reads = 0;
    const read = () => {
      reads++;
      if (reads % 2 === 0) throw new Error(`read ${reads} failed`);
      return { status: 'running', reads };
    };
    const err = await waitFor(read, (v) => v.status === 'succeeded', {
      what: 'invocation i-1 to reach succeeded',
      timeoutMs: 50,
      intervalMs: 5,
    }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err?.message).toMatch(
      /^timed out after 50 ms waiting for invocation i-1 to reach succeeded; last value: \{"status":"running","reads":\d+\}; last error: read \d+ failed$/,
    );
    expect(err?.cause).toBeInstanceOf(Error);
  });

  it('says so when nothing was ever read', async () => {
    const read = (): number => {
      throw new Error('connection refused');
    };
    await expect(waitFor(read, () => true, { what: 'the api', timeoutMs: 20, intervalMs: 5 })).rejects.toThrow(
      'waiting for the api; last value: (nothing read); last error: connection refused',
    );
  });
});
