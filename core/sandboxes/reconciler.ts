import type { Logger } from '../log.js';
import type { SandboxHost } from './sandbox-host.js';

const DEFAULT_INTERVAL_MS = 60_000;

/**
 * Runs SandboxHost.reconcile now and every `intervalMs` on a worker: what a lost worker left (a process
 * recorded on this host, an emulator database no live sandbox owns, a sandbox's server or spec file) is
 * removed. A failed round is logged and the next one tries again. Answers a function that stops it.
 */
export function startSandboxReconciler(host: SandboxHost, log: Logger, intervalMs = DEFAULT_INTERVAL_MS): () => void {
  let running: Promise<void> | undefined;
  const round = () => {
    running ??= host
      .reconcile()
      .then((cleaned) => {
        if (cleaned > 0) log.info({ cleaned }, 'sandbox reconciler removed what lost sandboxes left');
      })
      .catch((err: unknown) => log.warn({ err }, 'sandbox reconciler round failed'))
      .finally(() => (running = undefined));
  };
  round();
  const timer = setInterval(round, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
