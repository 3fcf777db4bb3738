import type { IntegrationSpec, SandboxBackend, SandboxModeName } from '../integrations/integration.js';
import type { ProcessRecord, RunningService, ServiceExit } from './service-process.js';

/** A database a sandbox stands on (PostgreSQL's scratch one): no process, its URL and its role's login. */
export interface SandboxDatabase {
  /** `postgres://host:port/database`, no login in it. */
  url: string;
  /** The connection URL with the login: what the sandbox's server is given, never stored as it is. */
  credential: string;
}

/** How one backend of an integration's sandbox is started; each answers a running service. */
export interface BackendStarters {
  /** The target's OpenAPI description as Prism (mock) or the emulator (emulated): one for all openapi services. */
  openapi(): Promise<RunningService>;
  moto(id: string, onRecord: (r: ProcessRecord) => Promise<void>): Promise<RunningService>;
  fakeGcs(id: string, onRecord: (r: ProcessRecord) => Promise<void>): Promise<RunningService>;
  /** A scratch database of the sandbox's own. */
  postgres(): Promise<SandboxDatabase>;
}

/** The services of one sandbox as hosting holds them: one stop, one exit, and each service's URL. */
export interface IntegrationServices extends Pick<RunningService, 'url' | 'exited' | 'stop'> {
  /** By the spec's service name: where the integration server reaches it (emulated: with the description's base path). */
  endpoints: Record<string, string>;
  /** The credential its server gets instead of the spec's stand-in: a scratch database's login. */
  credential?: string;
}

/**
 * Starts what an integration's sandbox of `mode` stands on: its openapi services (once, whatever their
 * number), moto, fake-gcs-server. The first that fails stops the others. Extra services record their
 * process under `resources.services` through `record`, so teardown and the reconciler remove them too.
 */
export async function startIntegrationServices(
  spec: IntegrationSpec,
  mode: SandboxModeName,
  sandboxId: string,
  start: BackendStarters,
  record: (service: string, r: ProcessRecord) => Promise<void>,
  openapiBasePath: string,
): Promise<IntegrationServices> {
  const backends = spec.sandbox.modes[mode];
  if (!backends) throw new Error(`${spec.name} offers no ${mode} sandbox`);
  const started = new Map<string, RunningService>();
  let database: SandboxDatabase | undefined;
  const startOne = (kind: Exclude<SandboxBackend['kind'], 'postgres'>): Promise<RunningService> => {
    if (kind === 'openapi') return start.openapi();
    const id = `${sandboxId}-${kind}`;
    return kind === 'moto' ? start.moto(id, (r) => record(kind, r)) : start.fakeGcs(id, (r) => record(kind, r));
  };
  const kinds = [...new Set(Object.values(backends).map((b) => b.kind))];
  try {
    for (const kind of kinds) {
      if (kind === 'postgres') database = await start.postgres();
      else started.set(kind, await startOne(kind));
    }
  } catch (err) {
    // A database made before the failure goes with the sandbox's teardown (its row records it).
    await Promise.all([...started.values()].map((s) => s.stop()));
    throw err;
  }
  // The emulator takes a description's paths under its server's base path (`/api`), as the vendor does;
  // Prism routes them only as the description spells them, so a mock's endpoint has no base path.
  const basePath = mode === 'emulated' ? openapiBasePath : '';
  const endpoints = Object.fromEntries(
    Object.entries(backends).map(([service, b]) => [
      service,
      b.kind === 'postgres' ? database!.url : `${started.get(b.kind)!.url}${b.kind === 'openapi' ? basePath : ''}`,
    ]),
  );
  const all = [...started.values()];
  return {
    url: all[0]?.url ?? database!.url,
    endpoints,
    ...(database ? { credential: database.credential } : {}),
    // Any one ending ends the sandbox (hosting then stops the rest); a database alone never ends by itself.
    exited: Promise.race(all.map((s) => s.exited)).then((e): ServiceExit => e),
    stop: async () => {
      await Promise.all(all.map((s) => s.stop()));
    },
  };
}

/** The extra services' work-dir ids of a sandbox (removed with it). */
export const extraServiceIds = (sandboxId: string) => [`${sandboxId}-moto`, `${sandboxId}-fake-gcs-server`];
