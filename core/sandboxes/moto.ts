import { closeSync, existsSync, openSync, readSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log.js';
import type { SandboxSettings } from '../mcp/sandbox.js';
import { PROJECT_ROOT, provisionedTool } from '../paths.js';
import { ServiceStartError, startService, type RunningService } from './service-process.js';
import { configureService, notProvisioned, toolServiceSpec, type ToolServiceInput } from './tool-service.js';

/** An AWS sandbox's moto: no spec, its sandbox only. */
export type MotoInput = ToolServiceInput;

// Inside the sandbox's own network namespace: nothing else listens there.
const MOTO_PORT = 4030;
/** moto's own API (its dashboard): answers as soon as the server listens. */
export const MOTO_READY_PATH = '/moto-api/';
const MOTO_SERVER = path.join(PROJECT_ROOT, 'core', 'sandboxes', 'moto-server.py');

/**
 * Starts moto in server mode (`moto_server`, one endpoint for every AWS service it emulates: the AWS SDK v3
 * clients take it as `endpoint`, S3 with `forcePathStyle`) in the stdio-server sandbox (startService), on the
 * Python of the venv scripts/provision-tools.sh made for it, which the sandbox reads (the venv and the
 * installation it runs on, read-only). moto-server.py holds it to `limits.memoryMb`. Lambda is configured
 * before anyone has the URL (configureMoto).
 */
export async function startMoto(input: MotoInput, settings: SandboxSettings, log: Logger): Promise<RunningService> {
  const name = `moto ${input.sandboxId}`;
  const script = provisionedTool('moto_server');
  if (!script) throw notProvisioned(name, 'moto_server');
  const python = pythonOf(script);
  if (!python)
    throw new ServiceStartError(name, `${name} was not started: ${script} is not a Python console script`, '');
  const memoryBytes = input.limits.memoryMb * 1024 * 1024;
  const service = await startService(
    {
      ...toolServiceSpec(input, name, { innerPort: MOTO_PORT, readyPath: MOTO_READY_PATH }),
      command: python.interpreter,
      // -I: no PYTHON* env, user site or script dir on sys.path; -B: no .pyc written (all is read-only); -u: unbuffered.
      args: ['-I', '-B', '-u', MOTO_SERVER, String(memoryBytes), script, '-H', '127.0.0.1', '-p', String(MOTO_PORT)],
      // S3 keeps an object above this size in a file: in the sandbox's /tmp, which the memory limit does not
      // bound. At the limit itself, every object stays in memory, and a put past it fails (500, MemoryError).
      env: { MOTO_S3_DEFAULT_KEY_BUFFER_SIZE: String(memoryBytes) },
      shippedFiles: [MOTO_SERVER],
    },
    { ...settings, readPaths: [...settings.readPaths, ...python.readPaths] },
    log,
  );
  return configureMoto(name, service);
}

/**
 * Lambda without Docker (moto 5's server-mode config API, `POST /moto-api/config`): moto's simple Lambda
 * backend keeps functions as its full one does, and an invoke answers its payload (or "Simple Lambda happy
 * path OK" without one) instead of running the code. The config picks the backend per call, so it must be
 * set before the first function is created: here, before the service is handed out.
 */
export function configureMoto(name: string, service: RunningService): Promise<RunningService> {
  return configureService(name, service, { method: 'POST', path: MOTO_CONFIG.path }, MOTO_CONFIG.body);
}

/** moto's server-mode config Collexa runs it with (set at start, and again after a reset drops it). */
export const MOTO_CONFIG = { path: '/moto-api/config', body: { lambda: { use_docker: false } } } as const;

/**
 * The interpreter a console script names on its `#!` line, and what of it the sandbox must read: its venv
 * (where pyvenv.cfg is) and the installation it runs on (its real path's prefix; under /usr the sandbox has
 * it already). Never `/`: a `/bin/python3` names no prefix to bind.
 */
function pythonOf(script: string): { interpreter: string; readPaths: string[] } | undefined {
  const fd = openSync(script, 'r');
  const head = Buffer.alloc(512);
  let read: number;
  try {
    read = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  const interpreter = /^#!(\/\S+)[ \t]*\n/.exec(head.subarray(0, read).toString('latin1'))?.[1];
  if (!interpreter || !existsSync(interpreter)) return undefined;
  const venv = path.dirname(path.dirname(interpreter));
  const installation = path.dirname(path.dirname(realpathSync(interpreter)));
  const readPaths = [
    ...(existsSync(path.join(venv, 'pyvenv.cfg')) ? [venv] : []),
    ...(installation === '/' || installation === '/usr' || installation.startsWith('/usr/') ? [] : [installation]),
  ];
  return { interpreter, readPaths };
}
