import { setTimeout as sleep } from 'node:timers/promises';
import type * as Testcontainers from 'testcontainers';
import type { GenericContainer, StartedTestContainer, WaitStrategy } from 'testcontainers';
import type { Logger } from '../../log.js';
import type { SecretValue } from '../../secrets/redact.js';
import { OutputTail } from '../output-tail.js';
import { ServiceStartError, type ProcessRecord, type RunningService, type ServiceExit } from '../service-process.js';
import { containerRecord } from './container-record.js';

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 5_000;
const POLL_MS = 2_000;
export const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** One sandbox's container: what the driver's common part (startContainer) needs, and its image-specific build. */
export interface ContainerSpec {
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
export type WaitFor = (pathname: string, port: number, accept: (status: number) => boolean) => WaitStrategy;

/**
 * Starts one sandbox's container (SANDBOX_DRIVER=docker): no privilege, no capabilities, the default bridge
 * network, `memoryMb` as its limit, `port` published on 127.0.0.1 only, labelled, removed when it stops.
 */
export async function startContainer(spec: ContainerSpec, image: string): Promise<RunningService> {
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
