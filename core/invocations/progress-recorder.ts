import type { InvocationProgress } from '../../contracts/invocation.contract.js';
import type { Logger } from '../log.js';
import type { ToolProgress } from '../mcp/client-pool.js';
import { boundedText, type Redactor } from '../secrets/redact.js';

/** At most one progress write per invocation in this long; the latest value is always written in the end. */
export const PROGRESS_WRITE_INTERVAL_MS = 250;
/** How much of a tool's progress message is kept (after redaction). */
export const MAX_PROGRESS_MESSAGE_CHARS = 500;

/**
 * A progress notification as the row may hold it, or undefined when it must be dropped: progress must be a
 * finite number and total finite or absent (a JSON 1e999 parses to Infinity). The message is redacted
 * first, then cut to one line of MAX_PROGRESS_MESSAGE_CHARS, so no prefix of a bound secret survives a cut.
 */
export function sanitizeProgress(raw: ToolProgress, redactor: Redactor, at: Date): InvocationProgress | undefined {
  const { progress, total, message } = raw as { progress: unknown; total?: unknown; message?: unknown };
  if (typeof progress !== 'number' || !Number.isFinite(progress)) return undefined;
  if (total !== undefined && (typeof total !== 'number' || !Number.isFinite(total))) return undefined;
  const text = typeof message === 'string' ? boundedText(redactor.text(message), MAX_PROGRESS_MESSAGE_CHARS) : '';
  return {
    progress,
    ...(total === undefined ? {} : { total }),
    ...(text === '' ? {} : { message: text }),
    at: at.toISOString(),
  };
}

export interface ProgressRecorderOptions {
  /** Writes the value to the invocation's row (InvocationRepository.recordProgress). */
  write: (progress: InvocationProgress) => Promise<unknown>;
  redactor: Redactor;
  logger: Logger;
  intervalMs?: number;
  now?: () => number;
}

/**
 * Turns one tool call's progress notifications into throttled writes of the latest one: a value is written at
 * once when the last write began at least `intervalMs` ago, else by a trailing write when the window ends;
 * writes never overlap. Values that do not increase (MCP requires progress to) or fail sanitizeProgress are
 * dropped. `close()` writes what is still pending and stops: the caller awaits it before it records the
 * call's outcome, so the last value is never lost and nothing is written after. A failed write is logged, never
 * thrown: progress is a courtesy, the call is what counts.
 */
export class ProgressRecorder {
  private readonly intervalMs: number;
  private readonly now: () => number;
  private highest: number | undefined;
  private pending: InvocationProgress | undefined;
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastWriteAt = -Infinity;
  private closed = false;

  constructor(private readonly opts: ProgressRecorderOptions) {
    this.intervalMs = opts.intervalMs ?? PROGRESS_WRITE_INTERVAL_MS;
    this.now = opts.now ?? Date.now;
  }

  /** One notifications/progress of the call (as the MCP client hands it over); never throws. */
  report(raw: ToolProgress): void {
    if (this.closed) return;
    const value = sanitizeProgress(raw, this.opts.redactor, new Date(this.now()));
    if (!value || (this.highest !== undefined && value.progress <= this.highest)) return;
    this.highest = value.progress;
    this.pending = value;
    this.schedule();
  }

  /** Writes the pending value, if any, after the write in flight; nothing is written once it resolves. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
    const last = this.pending;
    this.pending = undefined;
    if (last) await this.write(last);
  }

  private schedule(): void {
    if (this.inFlight || this.timer) return; // the write in flight, or the timer, takes the pending value
    const wait = this.lastWriteAt + this.intervalMs - this.now();
    if (wait <= 0) return this.flush();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  private flush(): void {
    const value = this.pending;
    if (!value || this.closed) return;
    this.pending = undefined;
    this.lastWriteAt = this.now();
    this.inFlight = this.write(value).finally(() => {
      this.inFlight = undefined;
      if (this.pending && !this.closed) this.schedule();
    });
  }

  private async write(value: InvocationProgress): Promise<void> {
    try {
      await this.opts.write(value);
    } catch (err) {
      this.opts.logger.warn({ err }, 'could not record a tool call progress');
    }
  }
}
