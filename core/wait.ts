import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Reads until `done` holds or `timeoutMs` passes, returning the last read: how a service waits for a row a
 * workflow's activity is about to write, and answers with what is there if it does not come in time.
 */
export async function pollUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await sleep(intervalMs);
    value = await read();
  }
  return value;
}

/** Runs `tick` every `intervalMs` until `ended` settles, then answers it: how a long wait tells its caller it is still waiting. */
export async function tickUntil<T>(ended: Promise<T>, intervalMs: number, tick: () => Promise<void>): Promise<T> {
  const finished = ended.then(() => true);
  while (!(await Promise.race([finished, sleep(intervalMs, false)]))) await tick();
  return ended;
}
