import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as Testcontainers from 'testcontainers';
import type { GenericContainer, StartedTestContainer, WaitStrategy } from 'testcontainers';
import type { Logger } from '../../log.js';
import { PROJECT_ROOT } from '../../paths.js';
import type { SecretValue } from '../../secrets/redact.js';
import { EMULATOR_READ_PATHS, EMULATOR_READY_PATH, emulatorLaunch } from '../emulator/launch.js';
import { OutputTail } from '../output-tail.js';
import { ServiceStartError, type ProcessRecord, type RunningService, type ServiceExit } from '../service-process.js';
import { containerRecord } from './container-record.js';
import type { SandboxDriver } from './driver.js';

// Pinned: the 5.14 line is the one public testcontainers suites run (5.15.x crashes at start in its default
// multiprocess mode, reported upstream). The process driver runs the npm @stoplight/prism-cli instead.
export const PRISM_IMAGE = 'stoplight/prism:5.14.2';
export const NODE_IMAGE = 'node:24-bookworm-slim';
const PRISM_PORT = 4010;
const EMULATOR_PORT = 4020;
const SPEC_IN_CONTAINER = '/tmp/spec.json';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 5_000;
const POLL_MS = 2_000;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

interface ContainerSpec {
  sandboxId: string;
  orgId: string;
  name: string;
  memoryMb: number;
  /** Builds the image-specific part (command, files, mounts, env, wait) on a container bound to 127.0.0.1. */
  build: (c: GenericContainer, wait: WaitFor) => GenericContainer;
  port: number;
  /** Ports of this host's loopback the container must reach, as host.testcontainers.internal:<port>. */
  hostPorts?: number[];
  secrets?: SecretValue[];
  onRecord?: (record: ProcessRecord) => void | Promise<void>;
  log: Logger;
}
/** An HTTP wait on the container's port, accepting the statuses `accept` does. */
type WaitFor = (pathname: string, port: number, accept: (status: number) => boolean) => WaitStrategy;

/**
 * Mock and emulated sandboxes as containers of a Docker engine (SANDBOX_DRIVER=docker), on testcontainers:
 * no privilege, no capabilities, the default bridge network, the sandbox's memory as the container's limit,
 * the service port published on 127.0.0.1 only, labelled `collexa.sandbox`/`collexa.org`, removed when it
 * stops. testcontainers' reaper removes them too when the worker that started them dies. The engine must be
 * local (its published ports are this host's 127.0.0.1).
 */
export const dockerDriver: SandboxDriver = {
  name: 'docker',
  startMock: (input, { log }) => {
    const spec = readFileSync(input.specPath);
    return startContainer(
      {
        sandboxId: input.sandboxId,
        orgId: input.orgId,
        name: `prism ${input.sandboxId}`,
        memoryMb: input.limits.memoryMb,
        port: PRISM_PORT,
        log,
        ...(input.onRecord ? { onRecord: input.onRecord } : {}),
        build: (c, waitFor) =>
          c
            .withCopyContentToContainer([{ content: spec, target: SPEC_IN_CONTAINER, mode: 0o444 }])
            .withCommand(['mock', '-h', '0.0.0.0', SPEC_IN_CONTAINER, '--errors'])
            // Any answer: Prism has no health path, and `/` of most specs is a 404.
            .withWaitStrategy(waitFor('/', PRISM_PORT, () => true)),
      },
      PRISM_IMAGE,
    );
  },
  /*
   * The emulator's database is the one EmulatorStore made in the platform PostgreSQL (its own database and
   * role, dropped at teardown and by the reconciler), as with the process driver: a PostgreSQL container per
   * sandbox would double its start time and its memory and give the reconciler a second kind of leftover.
   * The emulator itself runs in a stock Node image with Collexa's emulator code and node_modules bound
   * read-only at their host paths (so emulatorLaunch's paths hold inside), as the image's `node` user. A
   * PostgreSQL on this host's loopback (the embedded one) is not reachable at the bridge gateway
   * (host.docker.internal): testcontainers' port forwarder exposes that one port to the container as
   * host.testcontainers.internal instead. host.docker.internal still names the gateway (host-gateway).
   */
  startEmulated: (input, { log }) => {
    const spec = readFileSync(input.specPath);
    const loopbackPg = LOOPBACK.has(input.pg.host);
    const pgHost = loopbackPg ? 'host.testcontainers.internal' : input.pg.host;
    const launch = emulatorLaunch({
      specPath: SPEC_IN_CONTAINER,
      port: EMULATOR_PORT,
      listenHost: '0.0.0.0',
      db: input.db,
      pg: { host: pgHost, port: input.pg.port },
    });
    const mounts = [
      ...EMULATOR_READ_PATHS,
      path.join(PROJECT_ROOT, 'node_modules'),
      path.join(PROJECT_ROOT, 'package.json'),
    ];
    return startContainer(
      {
        sandboxId: input.sandboxId,
        orgId: input.orgId,
        name: `emulator ${input.sandboxId}`,
        memoryMb: input.limits.memoryMb,
        port: EMULATOR_PORT,
        ...(loopbackPg ? { hostPorts: [input.pg.port] } : {}),
        secrets: [{ name: 'sandbox database password', value: input.db.password }],
        log,
        ...(input.onRecord ? { onRecord: input.onRecord } : {}),
        build: (c, waitFor) =>
          c
            .withUser('node')
            .withWorkingDir('/tmp')
            .withEnvironment(launch.env)
            .withExtraHosts([{ host: 'host.docker.internal', ipAddress: 'host-gateway' }])
            .withBindMounts(mounts.map((p) => ({ source: p, target: p, mode: 'ro' as const })))
            .withCopyContentToContainer([{ content: spec, target: SPEC_IN_CONTAINER, mode: 0o444 }])
            .withCommand(['node', ...launch.args])
            // 200 once it reaches its database, 503 before.
            .withWaitStrategy(waitFor(EMULATOR_READY_PATH, EMULATOR_PORT, (s) => s === 200)),
      },
      NODE_IMAGE,
    );
  },
  // Replaced by the moto and fake-gcs-server containers (branch emulators).
  startMoto: (input) => Promise.reject(new ServiceStartError(`moto ${input.sandboxId}`, 'moto is not wired yet', '')),
  startFakeGcs: (input) =>
    Promise.reject(new ServiceStartError(`fake-gcs-server ${input.sandboxId}`, 'fake-gcs-server is not wired yet', '')),
};

async function startContainer(spec: ContainerSpec, image: string): Promise<RunningService> {
  const unavailable = (why: string, cause: unknown) =>
    new ServiceStartError(
      spec.name,
      `sandbox service ${spec.name} was not started: SANDBOX_DRIVER=docker, but ${why}: ${(cause as Error).message ?? cause}`,
      '',
      { cause },
    );
  let lib: typeof Testcontainers;
  try {
    // Loaded here: the process driver never loads the library (nor needs its Node version).
    lib = await import('testcontainers');
    await lib.getContainerRuntimeClient();
  } catch (err) {
    throw unavailable('no container engine is reachable', err);
  }
  if (spec.hostPorts?.length) await lib.TestContainers.exposeHostPorts(...spec.hostPorts);
  // testcontainers publishes ports on every host address; this one binds its port to 127.0.0.1 only.
  class LoopbackContainer extends lib.GenericContainer {
    withLoopbackPort(port: number): this {
      this.createOpts.ExposedPorts = { ...this.createOpts.ExposedPorts, [`${port}/tcp`]: {} };
      this.hostConfig.PortBindings = {
        ...this.hostConfig.PortBindings,
        [`${port}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: '0' }],
      };
      return this;
    }
  }
  const output = new OutputTail(spec.secrets ?? [], (_stream, line) =>
    spec.log.info({ sandboxService: spec.name }, line),
  );
  const base = new LoopbackContainer(image)
    .withLoopbackPort(spec.port)
    .withNetworkMode('bridge')
    .withResourcesQuota({ memory: spec.memoryMb / 1024 })
    .withDroppedCapabilities('ALL')
    .withSecurityOpt('no-new-privileges')
    .withLabels({ 'collexa.sandbox': spec.sandboxId, 'collexa.org': spec.orgId })
    .withAutoRemove(true)
    .withLogConsumer((stream) => stream.setEncoding('utf8').on('data', (t: string) => output.push('output', t)));
  let container: StartedTestContainer;
  try {
    const waitFor: WaitFor = (pathname, port, accept) =>
      lib.Wait.forHttp(pathname, port).forStatusCodeMatching(accept).withStartupTimeout(START_TIMEOUT_MS);
    container = await spec.build(base, waitFor).start();
  } catch (err) {
    const printed = output.text();
    throw new ServiceStartError(
      spec.name,
      `sandbox service ${spec.name} (SANDBOX_DRIVER=docker, ${image}) did not start: ${(err as Error).message}${printed ? `; it printed: ${printed.slice(-2_000)}` : ''}`,
      printed,
      { cause: err },
    );
  }
  const id = container.getId();
  const record = containerRecord(id);
  const exited = watchExit(lib, id, output);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // An auto-removed container that already ended is a 404 here: it is stopped either way.
      await container.stop({ timeout: STOP_TIMEOUT_MS }).catch(() => undefined);
      await exited;
    })());
  const host = container.getHost();
  if (!LOOPBACK.has(host)) {
    await stop();
    throw new ServiceStartError(
      spec.name,
      `sandbox service ${spec.name}: SANDBOX_DRIVER=docker needs a local engine (its ports are bound to 127.0.0.1), not ${host}`,
      '',
    );
  }
  try {
    await spec.onRecord?.(record);
  } catch (err) {
    await stop();
    throw new ServiceStartError(
      spec.name,
      `sandbox service ${spec.name} was stopped: recording its container failed (${(err as Error).message})`,
      output.text(),
      { cause: err },
    );
  }
  const url = `http://127.0.0.1:${container.getMappedPort(spec.port)}`;
  spec.log.info({ sandboxService: spec.name, url, container: id }, 'sandbox service ready');
  return { url, pid: 0, record, exited, stop };
}

/** Resolves once the container no longer runs (stopped, crashed, removed), polling the engine. */
async function watchExit(lib: typeof Testcontainers, id: string, output: OutputTail): Promise<ServiceExit> {
  const client = await lib.getContainerRuntimeClient();
  const handle = client.container.getById(id);
  for (;;) {
    let state: { Running?: boolean; ExitCode?: number } | undefined;
    try {
      state = (await client.container.inspect(handle)).State;
    } catch (err) {
      // 404: removed (auto-remove once it stopped). Anything else: the engine is unwell; keep asking.
      if ((err as { statusCode?: number }).statusCode === 404) state = undefined;
      else state = { Running: true };
    }
    if (!state?.Running) return { code: state?.ExitCode ?? null, signal: null, output: output.text() };
    await sleep(POLL_MS);
  }
}
