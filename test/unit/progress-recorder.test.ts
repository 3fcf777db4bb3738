import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InvocationProgress } from '../../contracts/invocation.contract.js';
import type { Logger } from '../../core/log.js';
import {
  MAX_PROGRESS_MESSAGE_CHARS,
  ProgressRecorder,
  sanitizeProgress,
} from '../../core/invocations/progress-recorder.js';
import { Redactor } from '../../core/secrets/redact.js';

const SECRET = 'sk-live-0123456789';
const redactor = new Redactor([{ name: 'TOKEN', value: SECRET }]);

/** A recorder whose writes land in `written` (each taking `writeMs`, or failing while `failing`). */
function recorder(opts: { writeMs?: number } = {}) {
  const written: Array<InvocationProgress & { writtenAt: number }> = [];
  const state = { failing: false, inFlight: 0, maxInFlight: 0 };
  const warn = vi.fn();
  const rec = new ProgressRecorder({
    write: async (p) => {
      state.inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      try {
        if (opts.writeMs) await new Promise((r) => setTimeout(r, opts.writeMs));
        if (state.failing) throw new Error('database down');
        written.push({ ...p, writtenAt: Date.now() });
      } finally {
        state.inFlight--;
      }
    },
    redactor,
    logger: { warn } as unknown as Logger,
  });
  return { rec, written, state, warn };
}

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-12-02T00:00:00.000Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('ProgressRecorder', () => {
  it('writes the first value at once, then at most one every 250 ms, always ending on the latest', async () => {
    const { rec, written } = recorder();
    rec.report({ progress: 1, total: 10, message: 'one' });
    await vi.advanceTimersByTimeAsync(0);
    expect(written.map((w) => w.progress)).toEqual([1]);
    for (const progress of [2, 3, 4]) {
      await vi.advanceTimersByTimeAsync(50);
      rec.report({ progress, total: 10 });
    }
    expect(written.map((w) => w.progress)).toEqual([1]);
    await vi.advanceTimersByTimeAsync(100); // the window ends at 250 ms: the trailing write takes the latest
    expect(written.map((w) => [w.progress, w.writtenAt - written[0]!.writtenAt])).toEqual([
      [1, 0],
      [4, 250],
    ]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(written).toHaveLength(2); // nothing new, nothing written
    rec.report({ progress: 5 });
    await vi.advanceTimersByTimeAsync(0);
    expect(written.map((w) => w.progress)).toEqual([1, 4, 5]); // a quiet window: written at once again
    await rec.close();
    expect(written).toHaveLength(3);
  });

  it('on close writes the pending value at once, after the write in flight, and nothing afterwards', async () => {
    const { rec, written, state } = recorder({ writeMs: 100 });
    rec.report({ progress: 1 });
    rec.report({ progress: 2 });
    rec.report({ progress: 3, message: 'last' });
    const closed = rec.close();
    rec.report({ progress: 4 }); // heard after close: the outcome is being recorded, so it is dropped
    await vi.advanceTimersByTimeAsync(200);
    await closed;
    expect(written.map((w) => [w.progress, w.message])).toEqual([
      [1, undefined],
      [3, 'last'],
    ]);
    expect(state.maxInFlight).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(written).toHaveLength(2);
  });

  it('never overlaps writes: a slow write holds the next value until it is done', async () => {
    const { rec, written, state } = recorder({ writeMs: 400 });
    rec.report({ progress: 1 });
    await vi.advanceTimersByTimeAsync(300);
    rec.report({ progress: 2 });
    await vi.advanceTimersByTimeAsync(300);
    expect(state.maxInFlight).toBe(1);
    expect(written.map((w) => [w.progress, w.writtenAt - Date.parse('2026-12-02T00:00:00.000Z')])).toEqual([[1, 400]]);
    await vi.advanceTimersByTimeAsync(400);
    expect(written.map((w) => w.progress)).toEqual([1, 2]); // started when the first ended (400 ms > 250 ms)
    await rec.close();
  });

  it('drops values that do not increase or are not finite', async () => {
    const { rec, written } = recorder();
    rec.report({ progress: 5 });
    await vi.advanceTimersByTimeAsync(300);
    for (const bad of [
      { progress: 5 },
      { progress: 4 },
      { progress: Number.NaN },
      { progress: Number.POSITIVE_INFINITY },
      { progress: 6, total: Number.POSITIVE_INFINITY },
      { progress: '7' as unknown as number },
    ]) {
      rec.report(bad);
      await vi.advanceTimersByTimeAsync(300);
    }
    await rec.close();
    expect(written.map((w) => w.progress)).toEqual([5]);
  });

  it('logs a failed write at warn without throwing, and later values are still written', async () => {
    const { rec, written, state, warn } = recorder();
    state.failing = true;
    rec.report({ progress: 1 });
    await vi.advanceTimersByTimeAsync(300);
    expect(warn).toHaveBeenCalledWith({ err: expect.any(Error) }, 'could not record a tool call progress');
    state.failing = false;
    rec.report({ progress: 2 });
    await expect(rec.close()).resolves.toBeUndefined();
    expect(written.map((w) => w.progress)).toEqual([2]);
  });
});

describe('sanitizeProgress', () => {
  const at = new Date('2026-12-02T10:00:00.000Z');

  it('keeps progress, a finite total and the message, stamped with when it was heard', () => {
    expect(sanitizeProgress({ progress: 2, total: 3, message: 'copying' }, redactor, at)).toEqual({
      progress: 2,
      total: 3,
      message: 'copying',
      at: '2026-12-02T10:00:00.000Z',
    });
    expect(sanitizeProgress({ progress: 0.5 }, redactor, at)).toEqual({ progress: 0.5, at: at.toISOString() });
  });

  it('redacts a bound secret, then cuts the message to one line of 500 characters', () => {
    const p = sanitizeProgress({ progress: 1, message: `using ${SECRET}\nnow` }, redactor, at);
    expect(p?.message).toBe('using [secret:TOKEN] now');
    // A secret straddling the cut is redacted first, so no prefix of it survives.
    const long = sanitizeProgress({ progress: 1, message: `${'x'.repeat(495)}${SECRET}` }, redactor, at);
    expect(long?.message).toHaveLength(MAX_PROGRESS_MESSAGE_CHARS);
    expect(long?.message).not.toContain(SECRET.slice(0, 4));
    const huge = sanitizeProgress({ progress: 1, message: 'y'.repeat(1_000_000) }, redactor, at);
    expect(huge?.message).toHaveLength(MAX_PROGRESS_MESSAGE_CHARS);
  });

  it('omits a message that is empty or not a string, and refuses a non-finite total', () => {
    expect(sanitizeProgress({ progress: 1, message: '  \n ' }, redactor, at)).toEqual({
      progress: 1,
      at: at.toISOString(),
    });
    expect(sanitizeProgress({ progress: 1, message: 42 as unknown as string }, redactor, at)).toEqual({
      progress: 1,
      at: at.toISOString(),
    });
    expect(sanitizeProgress({ progress: 1, total: Number.NaN }, redactor, at)).toBeUndefined();
    expect(sanitizeProgress({ progress: 1, total: '3' as unknown as number }, redactor, at)).toBeUndefined();
  });
});
