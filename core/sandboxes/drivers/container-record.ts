import type { KillOutcome, ProcessRecord } from '../process-record.js';

/**
 * A container a sandbox ran in, as its ProcessRecord names it: hostId `docker:<container id>`, pid 0. The
 * engine, not this host, owns it, so any worker that reaches the engine may remove it.
 */
const PREFIX = 'docker:';

export function containerRecord(containerId: string): ProcessRecord {
  return { hostId: `${PREFIX}${containerId}`, pid: 0, startedAt: 0 };
}

/** The container id of a record containerRecord made; undefined for a process's record. */
export function recordedContainer(record: ProcessRecord): string | undefined {
  return record.hostId.startsWith(PREFIX) ? record.hostId.slice(PREFIX.length) : undefined;
}

/**
 * Stops and removes the recorded container. 'gone' when the engine no longer has it, 'other-host' when no
 * engine is reachable from here (the record stays for a worker that reaches it).
 */
export async function removeContainer(containerId: string): Promise<KillOutcome> {
  let client;
  try {
    // Loaded only when a container is recorded: the process driver never needs the library.
    const { getContainerRuntimeClient } = await import('testcontainers');
    client = await getContainerRuntimeClient();
  } catch {
    return 'other-host';
  }
  const container = client.container.getById(containerId);
  try {
    await client.container.stop(container, { timeout: 5_000 });
    await client.container.remove(container, { removeVolumes: true });
    return 'killed';
  } catch (err) {
    // 404: already removed (auto-remove after it stopped); 409: removal already in progress.
    const status = (err as { statusCode?: number }).statusCode;
    if (status === 404 || status === 409) return 'gone';
    throw err;
  }
}
