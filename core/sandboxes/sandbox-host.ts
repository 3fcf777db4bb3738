import { ORG_MAX_PROCESSES } from '../limits/defaults.js';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HostingEnd, SandboxEnd } from '../../contracts/sandbox.contract.js';
import { AuditRepository } from '../db/audit.repository.js';
import type { Db } from '../db/knex.js';
import { McpServerRepository } from '../db/mcp-server.repository.js';
import type { SandboxResources, SandboxRow } from '../db/rows.js';
import { SandboxRepository } from '../db/sandbox.repository.js';
import type { Logger } from '../log.js';
import type { ProcessLimits, SandboxSettings as ProcessSandbox } from '../mcp/sandbox.js';
import { integrationForTarget } from '../integrations/catalog.js';
import { integrationLaunch } from '../integrations/launch.js';
import type { IntegrationSpec, SandboxModeName } from '../integrations/integration.js';
import type { SecretVault } from '../secrets/vault.js';
import { expandTemplate } from '../mcp/templates.js';
import { orgWorkspace } from '../mcp/workspace.js';
import type { EmulatorStore } from './emulator/store.js';
import { basePaths, type OpenApiDoc } from './emulator/openapi.js';
import type { SandboxDriver } from './drivers/driver.js';
import { processDriver } from './drivers/process.driver.js';
import { resetNativeServices } from './native-reset.js';
import { recordedContainer } from './drivers/container-record.js';
import { currentHostId, type ProcessRecord } from './process-record.js';
import {
  extraServiceIds,
  startIntegrationServices,
  type IntegrationServices,
  type SandboxDatabase,
} from './integration-services.js';
import { killRecorded, type RunningService } from './service-process.js';
import type { SandboxTargetService } from './targets/target.service.js';

export interface SandboxHostDeps {
  db: Db;
  logger: Logger;
  targets: SandboxTargetService;
  /** How sandbox processes run: the stdio servers' sandbox (core/mcp/sandbox.ts). */
  processSandbox: ProcessSandbox;
  /** The emulated mode's databases. */
  emulator: EmulatorStore;
  /**
   * Where a scratch database's login is kept while its sandbox runs (an org secret its server references):
   * without one, a sandbox on a `postgres` backend cannot start.
   */
  vault?: SecretVault;
  /** Where the platform PostgreSQL listens (host side), for the emulator's bridge. */
  pg: { host: string; port: number };
  /** Memory of one sandbox process, MiB (SANDBOX_MEMORY_MB). */
  memoryMb: number;
  /** How mock and emulated services run (SANDBOX_DRIVER); default the sandboxed processes. */
  driver?: SandboxDriver;
  /** How often the hosting activity checks its process and idleness (and heartbeats). */
  checkIntervalMs?: number;
}

/** What the hosting loop is told by the runtime: keep alive, and stop when cancelled. */
export interface HostingRuntime {
  heartbeat(): void;
  signal: AbortSignal;
}

// Limits of a sandbox process besides its memory. RLIMIT_NPROC counts every thread of the org's uid (its
// stdio servers' and its other sandboxes' too): the org-wide bound every server has (core/limits/defaults.ts).
const PROCESS_LIMITS = { cpuSeconds: 24 * 3600, maxProcesses: ORG_MAX_PROCESSES, maxOpenFiles: 1024 };
const DEFAULT_CHECK_MS = 5_000;
// Well inside the hosting activity's heartbeatTimeout (workflows/sandbox.workflow.ts).
const HEARTBEAT_MS = 2_000;

/**
 * Provisions, hosts, resets and tears down sandboxes (the activities of sandboxWorkflow run these). A
 * sandbox's spec file lives in its org's workspace (`.sandboxes/<id>/spec.json`, where its processes and
 * its MCP server may read it); its processes are held by host() for as long as it runs.
 */
export class SandboxHost {
  private readonly sandboxes: SandboxRepository;
  private readonly servers: McpServerRepository;

  constructor(private readonly deps: SandboxHostDeps) {
    this.sandboxes = new SandboxRepository(deps.db);
    this.servers = new McpServerRepository(deps.db);
  }

  /** The spec file its processes and its MCP server read (idempotent). */
  async provision(sandboxId: string): Promise<void> {
    const row = await this.sandboxes.getById(sandboxId);
    const target = await this.deps.targets.resolve(row.org_id, row.target);
    const specPath = this.specPath(row);
    mkdirSync(path.dirname(specPath), { recursive: true, mode: 0o755 });
    writeFileSync(specPath, JSON.stringify(target.doc));
    chmodSync(specPath, 0o644);
    await this.sandboxes.addResources(sandboxId, { specPath });
    // The one read of the target: hosting uses the file and this endpoint, whatever becomes of the target.
    if (row.mode === 'connected') await this.sandboxes.update(sandboxId, { endpoint: target.baseUrl });
  }

  /**
   * Runs the sandbox until `runtime.signal` aborts (stop, expiry: it then stops the process and rethrows),
   * it has had no call for `idleMs`, or its process exits. Marks it running with its endpoint and gives it
   * its own MCP server (the openapi template pointed at the endpoint) first.
   */
  async host(sandboxId: string, idleMs: number, runtime: HostingRuntime): Promise<HostingEnd> {
    const row = await this.sandboxes.getById(sandboxId);
    // Alive while its service starts too (a large spec's emulator seeds and boots for many seconds).
    const beat = setInterval(() => runtime.heartbeat(), HEARTBEAT_MS);
    let service: HostedService | undefined;
    try {
      service = await this.start(row);
    } catch (err) {
      clearInterval(beat);
      throw err;
    }
    try {
      const endpoint = service?.url ?? row.endpoint!;
      const endpoints = service && 'endpoints' in service ? (service as IntegrationServices).endpoints : undefined;
      if (endpoints) await this.sandboxes.addResources(sandboxId, { endpoints });
      const server = await this.serverFor(row, endpoint, endpoints, (service as IntegrationServices)?.credential);
      const startedAt = new Date();
      const marked = await this.sandboxes.markRunning(sandboxId, {
        endpoint,
        mcp_server_id: server,
        started_at: startedAt,
        last_used_at: startedAt,
        expires_at: new Date(startedAt.getTime() + row.ttl_seconds * 1000),
      });
      // Stopped while it started: teardown owns it now.
      if (!marked) return { reason: 'exited', detail: 'stopped while starting' };
      const exited = service?.exited.then((e) => e);
      let done: HostingEnd | undefined;
      void exited?.then((e) => {
        done ??= { reason: 'exited', detail: `code ${e.code ?? e.signal}: ${e.output.slice(-300)}` };
      });
      const every = this.deps.checkIntervalMs ?? DEFAULT_CHECK_MS;
      while (!done) {
        await sleep(every, undefined, { signal: runtime.signal }).catch(() => undefined);
        runtime.signal.throwIfAborted();
        const now = await this.sandboxes.getById(sandboxId);
        const last = (now.last_used_at ?? now.started_at ?? startedAt).getTime();
        if (Date.now() - last >= idleMs) done = { reason: 'idle' };
      }
      return done;
    } finally {
      clearInterval(beat);
      await service?.stop();
    }
  }

  /** Back to the initial state: the emulated sandbox's seed (a mock is stateless). */
  async reset(sandboxId: string): Promise<void> {
    const row = await this.sandboxes.getById(sandboxId);
    if (row.mode !== 'emulated') return;
    const integration = integrationForTarget(row.target);
    if (integration && scratchBacked(integration, row.mode))
      await this.deps.emulator.resetScratch(sandboxId, integration.sandbox.seedSql ?? '');
    else if (!integration || usesOpenapi(integration, row.mode)) await this.deps.emulator.reset(sandboxId);
    if (integration) await resetNativeServices(integration, row.mode, row.resources.endpoints ?? {});
  }

  /**
   * Removes everything the sandbox holds (its process if it outlived its host, its database, its MCP
   * server and spec file), records the minutes it ran and its final status. Idempotent.
   */
  async teardown(sandboxId: string, end: SandboxEnd): Promise<void> {
    const row = await this.sandboxes.getById(sandboxId);
    const left = await this.release(row);
    const endedAt = new Date();
    await this.deps.db.transaction(async (trx) => {
      const current = await new SandboxRepository(trx).getById(sandboxId);
      if (current.ended_at) return;
      await new SandboxRepository(trx).update(sandboxId, {
        status: end.status,
        reason: end.reason,
        ended_at: endedAt,
        // What is still held elsewhere (a process on another host) stays recorded for that host's reconciler.
        resources: left,
      });
      if (current.started_at) {
        const minutes = (endedAt.getTime() - new Date(current.started_at).getTime()) / 60_000;
        await trx('usage_records')
          .insert({
            org_id: row.org_id,
            kind: 'sandbox_minutes',
            subject_id: sandboxId,
            quantity: Math.max(0, minutes).toFixed(4),
            period_start: current.started_at,
            period_end: endedAt,
          })
          .onConflict(['kind', 'subject_id'])
          .ignore();
      }
      await new AuditRepository(trx).record({
        org_id: row.org_id,
        actor: 'system',
        action: `sandbox.${end.status}`,
        subject_type: 'sandbox',
        subject_id: sandboxId,
        data: { reason: end.reason, mode: row.mode, target: row.target },
      });
    });
  }

  /**
   * What a lost worker left: ended sandboxes that still record a process (on this host), a database or a
   * server, and emulator databases no sandbox row owns. Answers how many it cleaned.
   */
  async reconcile(): Promise<number> {
    let cleaned = 0;
    for (const row of await this.sandboxes.leftovers()) {
      // What only another host can remove (its process, nothing else) is that host's reconciler's: left be.
      const { process: proc, ...rest } = row.resources;
      if (proc && Object.keys(rest).length === 0 && !removableHere(proc)) continue;
      const left = await this.release(row);
      await this.sandboxes.update(row.id, { resources: left });
      cleaned++;
    }
    const known = new Set((await this.deps.db('sandboxes').whereNull('ended_at').select('id')).map((r) => r.id));
    for (const { sandboxId } of await this.deps.emulator.list()) {
      if (known.has(sandboxId)) continue;
      await this.deps.emulator.drop(sandboxId);
      cleaned++;
    }
    return cleaned;
  }

  /** Removes what the sandbox holds that this host can remove; answers what is left (another host's process). */
  private async release(row: SandboxRow): Promise<SandboxResources> {
    const r = row.resources;
    const left: SandboxResources = {};
    if (r.process) {
      const outcome = await killRecorded(r.process);
      if (outcome === 'other-host') left.process = r.process;
      if (outcome === 'other-host')
        this.deps.logger.warn(
          { sandboxId: row.id },
          'a sandbox process runs on another host: its reconciler removes it',
        );
    }
    for (const [service, record] of Object.entries(r.services ?? {}))
      if ((await killRecorded(record)) === 'other-host') (left.services ??= {})[service] = record;
    if (r.database || row.mode === 'emulated') await this.deps.emulator.drop(row.id);
    await this.servers.removeSandboxServer(row.id);
    if (
      this.deps.vault &&
      integrationForTarget(row.target) &&
      scratchBacked(integrationForTarget(row.target)!, row.mode)
    )
      await this.deps.vault.delete(row.org_id, sandboxSecretName(row.id)).catch(() => undefined);
    rmSync(path.dirname(this.specPath(row)), { recursive: true, force: true });
    // The service's own work dir (Prism's copy of the spec, the emulator's files).
    for (const id of [row.id, ...extraServiceIds(row.id)])
      rmSync(path.join(this.deps.processSandbox.workRoot, id), { recursive: true, force: true });
    return left;
  }

  private async start(row: SandboxRow): Promise<HostedService | undefined> {
    if (row.mode === 'connected') return undefined;
    const integration = integrationForTarget(row.target);
    if (!integration) return this.startOpenapi(row);
    const limits: ProcessLimits = { memoryMb: this.deps.memoryMb, ...PROCESS_LIMITS };
    const driver = this.deps.driver ?? processDriver;
    const ctx = { settings: this.deps.processSandbox, log: this.deps.logger };
    const native = { orgId: row.org_id, limits };
    // Read once, for the emulator and for the base path its server sends (a mock and the native emulators need neither).
    const doc = row.mode === 'emulated' && usesOpenapi(integration, row.mode) ? this.readSpec(row) : undefined;
    return startIntegrationServices(
      integration,
      row.mode,
      row.id,
      {
        openapi: () => this.startOpenapi(row, doc),
        moto: (id, onRecord) => driver.startMoto({ ...native, sandboxId: id, onRecord }, ctx),
        fakeGcs: (id, onRecord) => driver.startFakeGcs({ ...native, sandboxId: id, onRecord }, ctx),
        postgres: () => this.startScratch(row, integration.sandbox.seedSql ?? ''),
      },
      (service, record) => this.sandboxes.addServiceProcess(row.id, service, record),
      // The emulator routes under the description's server path (Prism does not): the server must send it.
      doc ? (basePaths(doc)[0] ?? '') : '',
    );
  }

  /** A target's description as Prism (mock) or the emulator on its own database (emulated). */
  private async startOpenapi(row: SandboxRow, doc?: OpenApiDoc): Promise<RunningService> {
    const limits: ProcessLimits = { memoryMb: this.deps.memoryMb, ...PROCESS_LIMITS };
    const onRecord = (record: { hostId: string; pid: number; startedAt: number }) =>
      this.sandboxes.addResources(row.id, { process: record });
    const common = { sandboxId: row.id, orgId: row.org_id, specPath: this.specPath(row), limits, onRecord };
    const driver = this.deps.driver ?? processDriver;
    const ctx = { settings: this.deps.processSandbox, log: this.deps.logger };
    if (row.mode === 'mock') return driver.startMock(common, ctx);
    // Its own database, made (and seeded) here: its role's password lives only in this activity and the
    // emulator's env. create() first drops what an earlier attempt left.
    const db = await this.deps.emulator.create(row.id, doc ?? this.readSpec(row));
    await this.sandboxes.addResources(row.id, { database: db.database });
    return driver.startEmulated({ ...common, db, pg: this.deps.pg }, ctx);
  }

  /**
   * A scratch database of the sandbox's own, seeded; its login (the role's password, made here) goes no
   * further than this process and the org secret serverFor keeps it in.
   */
  private async startScratch(row: SandboxRow, seedSql: string): Promise<SandboxDatabase> {
    const db = await this.deps.emulator.createScratch(row.id, seedSql);
    await this.sandboxes.addResources(row.id, { database: db.database });
    const { host, port } = this.deps.pg;
    const at = `${host.includes(':') ? `[${host}]` : host}:${port}/${db.database}`;
    return { url: `postgres://${at}`, credential: `postgres://${db.user}:${db.password}@${at}` };
  }

  /**
   * The sandbox's own MCP server: for an integration's target, the integration's server pointed at the
   * sandbox's services (given `credential`, a scratch database's login, through an org secret); else the
   * openapi template on the target's spec, pointed at `endpoint`.
   */
  private async serverFor(
    row: SandboxRow,
    endpoint: string,
    endpoints?: Record<string, string>,
    credential?: string,
  ): Promise<string> {
    await this.servers.removeSandboxServer(row.id);
    const integration = integrationForTarget(row.target);
    if (integration && endpoints && row.mode !== 'connected') {
      const launch = integrationLaunch(
        {
          integration: integration.name,
          endpoints,
          tools: integration.tools.map((t) => t.name),
          ...(integration.config.region?.default ? { region: integration.config.region.default } : {}),
          options: {},
          sandbox: row.mode,
        },
        credential === undefined ? integration.sandbox.credential : await this.keepCredential(row, credential),
      );
      const local = [...new Set(Object.values(endpoints).flatMap(localAddress))];
      const created = await this.servers.create({
        org_id: row.org_id,
        name: `~sandbox-${row.id}`,
        transport: 'stdio',
        command: launch.command,
        args: launch.args,
        env: launch.env,
        url: null,
        headers: {},
        network: true,
        template: integration.name,
        security_level: integration.securityLevel,
        limits: {},
        sandbox: {
          writablePaths: [],
          readablePaths: [],
          files: [],
          egressAllow: local,
          shippedFiles: launch.shippedFiles,
        },
        sandbox_id: row.id,
        sandbox_target: row.target,
      });
      return created.id;
    }
    const specPath = this.specPath(row);
    // A mock checks that a request carries the credential its spec asks for, never its value: any will do.
    const headers = row.mode === 'connected' ? row.config.headers : { Authorization: 'Bearer collexa-sandbox' };
    const t = expandTemplate('openapi', { spec: specPath, baseUrl: endpoint, headers }, '');
    const server = await this.servers.create({
      org_id: row.org_id,
      // `~` is in no name a user can give: a sandbox's server never takes or clashes with theirs.
      name: `~sandbox-${row.id}`,
      transport: 'stdio',
      command: t.command,
      args: t.args,
      env: t.env,
      url: null,
      headers: {},
      network: t.network,
      template: 'openapi',
      security_level: t.securityLevel,
      limits: {},
      // A local sandbox (mock, emulated) is on 127.0.0.1: its server may reach exactly that port.
      sandbox: { writablePaths: [], readablePaths: t.readablePaths, files: [], egressAllow: localAddress(endpoint) },
      sandbox_id: row.id,
      sandbox_target: row.target,
    });
    return server.id;
  }

  /**
   * `credential` as the org secret `sandbox.<id>` (encrypted at rest like any secret; removed with the
   * sandbox), answered as the `secret:` reference the server's env holds: the worker resolves it when it
   * starts the server, so the value is in no row in plain text.
   */
  private async keepCredential(row: SandboxRow, credential: string): Promise<string> {
    const vault = this.deps.vault;
    if (!vault) throw new Error(`sandbox ${row.id}: no vault to keep its database login in (COLLEXA_MASTER_KEY)`);
    const name = sandboxSecretName(row.id);
    // A retried activity made it already: the login is new, so the value is replaced.
    await vault.delete(row.org_id, name).catch(() => undefined);
    await vault.create(row.org_id, name, credential, { actor: 'system' });
    return `secret:${name}`;
  }

  private readSpec(row: SandboxRow): OpenApiDoc {
    return JSON.parse(readFileSync(this.specPath(row), 'utf8')) as OpenApiDoc;
  }

  private specPath(row: SandboxRow): string {
    return path.join(
      orgWorkspace(this.deps.processSandbox.workspaceRoot, row.org_id),
      '.sandboxes',
      row.id,
      'spec.json',
    );
  }
}

/**
 * `127.0.0.1:<port>` of a sandbox's own endpoint, for its server's egress; none for a remote (connected)
 * one. A scratch database is the platform's PostgreSQL wherever it is: its host and port.
 */
function localAddress(endpoint: string): string[] {
  const url = new URL(endpoint);
  if (url.protocol === 'postgres:') return [`${url.hostname}:${url.port}`];
  return url.hostname === '127.0.0.1' ? [`127.0.0.1:${url.port}`] : [];
}

/** The org secret a sandbox's scratch database login is kept in while it runs. */
const sandboxSecretName = (sandboxId: string) => `sandbox.${sandboxId}`;

/** Whether the mode stands on the target's description (the emulator's seeded database). */
function usesOpenapi(spec: IntegrationSpec, mode: SandboxModeName): boolean {
  return Object.values(spec.sandbox.modes[mode] ?? {}).some((b) => b.kind === 'openapi');
}

/** Whether the integration's sandbox of `mode` stands on a scratch database. */
function scratchBacked(spec: IntegrationSpec, mode: string): boolean {
  const backends = spec.sandbox.modes[mode as SandboxModeName] ?? {};
  return Object.values(backends).some((b) => b.kind === 'postgres');
}

/** What hosting holds of a started sandbox: where it is, how it ends, how it stops. */
type HostedService = Pick<RunningService, 'url' | 'exited' | 'stop'>;

/** A recorded process this worker can remove: one of its host, or a container (through the engine). */
function removableHere(record: ProcessRecord): boolean {
  return recordedContainer(record) !== undefined || record.hostId === currentHostId();
}
