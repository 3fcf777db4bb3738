import type { InvocationRow } from '../../core/db/rows.js';

export interface ProgressNotice {
  progress: number;
  total?: number;
  message?: string;
}

/**
 * Turns what an invocation's row shows, read while a tools/call waits, into the caller's
 * notifications/progress. MCP wants every notice's progress greater than the last, so: while the call
 * waits for its approval, a notice every `waitingEveryMs` counts up by one and says so; once the tool
 * runs, its own progress is passed on with its total and message, shifted by what the approval wait
 * counted (by nothing when there was no wait, so a caller sees exactly what the tool sent). A value that
 * would not increase is dropped, as are repeats of one already sent (and a retried call's restart from
 * 1, until it passes what was sent).
 */
export class ProgressRelay {
  private sent = 0;
  private offset = 0;
  private lastWaitingAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly notify: (notice: ProgressNotice) => Promise<void>,
    private readonly waitingEveryMs: number,
  ) {}

  async observe(row: InvocationRow, now = Date.now()): Promise<void> {
    if (row.status === 'pending_approval') {
      if (now - this.lastWaitingAt < this.waitingEveryMs) return;
      this.lastWaitingAt = now;
      this.offset = this.sent + 1;
      return this.send({ progress: this.offset, message: `waiting for approval ${row.approval_id}` });
    }
    // The worker's record (core/invocations/progress-recorder.ts): finite numbers, a redacted one-line message.
    const p = row.progress;
    if (!p) return;
    const progress = this.offset + p.progress;
    if (progress <= this.sent) return;
    return this.send({
      progress,
      ...(p.total !== undefined ? { total: this.offset + p.total } : {}),
      ...(p.message ? { message: p.message } : {}),
    });
  }

  private async send(notice: ProgressNotice): Promise<void> {
    this.sent = notice.progress;
    // A caller that stopped listening must not break the wait that serves it.
    await this.notify(notice).catch(() => undefined);
  }
}
