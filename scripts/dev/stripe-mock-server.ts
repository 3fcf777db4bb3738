import { spawnService, waitUntil, type ManagedProcess } from './processes.js';
import { toolPath } from './tool-paths.js';

export interface StripeMockServer {
  /** Base URL the stripe SDK is pointed at (STRIPE_API_BASE). */
  url: string;
  process: ManagedProcess;
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Starts stripe-mock (Stripe's own API emulator, provisioned by scripts/provision-tools.sh) on 127.0.0.1:port,
 * for HTTP (its HTTPS listener, which it always opens, on a loopback port of the system's choice). Ready means it answers an authenticated API call, not just that the port is open.
 */
export async function startStripeMock(opts: {
  port: number;
  logFile: string;
  startTimeoutMs?: number;
}): Promise<StripeMockServer> {
  // stripe-mock also listens on $PORT when it is set: without it, it would take the API's port.
  const env = { ...process.env };
  delete env.PORT;
  const proc = spawnService({
    name: 'stripe-mock',
    command: toolPath('stripe-mock'),
    // Its HTTPS listener defaults to every interface on :12112: loopback on a port the system picks instead.
    args: ['-http-addr', `127.0.0.1:${opts.port}`, '-https-addr', '127.0.0.1:'],
    logFile: opts.logFile,
    env,
  });
  const url = `http://127.0.0.1:${opts.port}`;
  await waitUntil(
    'stripe-mock',
    async () => {
      const res = await fetch(`${url}/v1/balance`, {
        headers: { authorization: 'Bearer sk_test_ready' },
        signal: AbortSignal.timeout(1000),
      });
      if (!res.ok) throw new Error(`stripe-mock answered ${res.status}`);
    },
    { timeoutMs: opts.startTimeoutMs ?? 20_000, process: proc },
  );
  return { url, process: proc, stop: (timeoutMs = 3000) => proc.stop(timeoutMs, 'SIGTERM') };
}
