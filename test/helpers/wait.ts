// The one way tests wait for something to happen: poll a read until a condition holds, and fail saying
// what was awaited and what was last seen. Fixed sleeps are only for letting a stated time pass.

export interface WaitOptions {
  /** What is awaited, as the timeout error says it: `invocation X to reach succeeded`. */
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
}

/** Longest JSON of the last value a timeout error quotes: a call log or a log buffer can be large. */
const MAX_QUOTED = 4000;

/**
 * Calls `read` every `intervalMs` until `until` holds for what it returned, and returns that value. A read
 * (or `until`) that throws counts as not yet: what is read may be coming up, or mid-restart. After
 * `timeoutMs` it throws an Error naming `what`, with the JSON of the last value read and the last error.
 */
export async function waitFor<T>(
  read: () => Promise<T> | T,
  until: (value: T) => boolean,
  { what, timeoutMs = 30_000, intervalMs = 100 }: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: { value: T } | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await read();
      last = { value };
      if (until(value)) return value;
    } catch (err) {
      lastError = err;
    }
    const left = deadline - Date.now();
    if (left <= 0) break;
    // The last read lands on the deadline, not an interval past it.
    await sleep(Math.min(intervalMs, left));
  }
  const seen = last ? quote(last.value) : '(nothing read)';
  const failed =
    lastError === undefined
      ? ''
      : `; last error: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}; last value: ${seen}${failed}`,
    lastError === undefined ? undefined : { cause: lastError },
  );
}

/**
 * A fixed pause, only where the time itself is the point: letting a stated duration pass (a lease, a
 * token bucket, a cooldown under test) or showing that something does not happen within it. Waiting for
 * something to happen is waitFor.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function quote(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}… (${text.length} chars)` : text;
}
