import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../../contracts/search-attributes.js';
import { spawnService, waitUntil, type ManagedProcess } from './processes.js';
import { toolPath } from './tool-paths.js';

export interface TemporalDevServer {
  address: string;
  uiUrl: string | null;
  process: ManagedProcess;
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Starts `temporal server start-dev` with Collexa's namespace and search attributes.
 * With `dbFile` the server keeps its state across restarts; without it everything is in memory.
 */
export async function startTemporalDevServer(opts: {
  port: number;
  uiPort: number | null;
  namespace: string;
  logFile: string;
  dbFile?: string;
  uiCodecEndpoint?: string;
  startTimeoutMs?: number;
}): Promise<TemporalDevServer> {
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--namespace',
    opts.namespace,
    '--log-level',
    'warn',
  ];
  if (opts.uiPort === null) args.push('--headless');
  else args.push('--ui-port', String(opts.uiPort));
  if (opts.dbFile) args.push('--db-filename', opts.dbFile);
  if (opts.uiCodecEndpoint) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);

  const proc = spawnService({ name: 'temporal', command: toolPath('temporal'), args, logFile: opts.logFile });
  const address = `127.0.0.1:${opts.port}`;
  await waitUntil(
    'Temporal dev server',
    async () => {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        // Ready means our namespace answers, not just the port.
        await connection.workflowService.describeNamespace({ namespace: opts.namespace });
      } finally {
        await connection.close();
      }
    },
    { timeoutMs: opts.startTimeoutMs ?? 30_000, process: proc },
  );
  return {
    address,
    uiUrl: opts.uiPort === null ? null : `http://localhost:${opts.uiPort}`,
    process: proc,
    stop: (timeoutMs = 5000) => proc.stop(timeoutMs, 'SIGTERM'),
  };
}
