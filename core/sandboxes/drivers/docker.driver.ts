import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../paths.js';
import { EMULATOR_READ_PATHS, EMULATOR_READY_PATH, emulatorLaunch } from '../emulator/launch.js';
import { configureFakeGcs, FAKE_GCS_ARGS, FAKE_GCS_READY_PATH } from '../fake-gcs.js';
import { configureMoto, MOTO_READY_PATH } from '../moto.js';
import { LOOPBACK, startContainer } from './docker-container.js';
import type { SandboxDriver } from './driver.js';

// Pinned: the 5.14 line is the one public testcontainers suites run (5.15.x crashes at start in its default
// multiprocess mode, reported upstream). The process driver runs the npm @stoplight/prism-cli instead.
export const PRISM_IMAGE = 'stoplight/prism:5.14.2';
export const NODE_IMAGE = 'node:24-bookworm-slim';
// The versions scripts/provision-tools.sh pins for the process driver (MOTO_VERSION, FAKE_GCS_VERSION): bump
// together. Neither image has run here (no Docker engine on this project's machines): unverified.
export const MOTO_IMAGE = 'motoserver/moto:5.2.5';
export const FAKE_GCS_IMAGE = 'fsouza/fake-gcs-server:1.56.1';
const PRISM_PORT = 4010;
const EMULATOR_PORT = 4020;
// The images' own ports: moto_server's default, and fake-gcs-server's EXPOSE.
const MOTO_PORT = 5000;
const FAKE_GCS_PORT = 4443;
const SPEC_IN_CONTAINER = '/tmp/spec.json';

/**
 * Sandboxes' services as containers of a Docker engine (SANDBOX_DRIVER=docker), on testcontainers:
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
  /*
   * UNVERIFIED (typechecked only: no Docker engine here). The image's entrypoint is `moto_server -H 0.0.0.0`
   * on port 5000; the container's memory limit stands in for moto-server.py's RLIMIT_DATA. Lambda is set to
   * its no-Docker backend as with the process driver (there is no Docker inside the container either).
   */
  startMoto: async (input, { log }) => {
    const name = `moto ${input.sandboxId}`;
    const service = await startContainer(
      {
        sandboxId: input.sandboxId,
        orgId: input.orgId,
        name,
        memoryMb: input.limits.memoryMb,
        port: MOTO_PORT,
        log,
        ...(input.onRecord ? { onRecord: input.onRecord } : {}),
        build: (c, waitFor) => c.withWaitStrategy(waitFor(MOTO_READY_PATH, MOTO_PORT, (s) => s === 200)),
      },
      MOTO_IMAGE,
    );
    return configureMoto(name, service);
  },
  /*
   * UNVERIFIED (typechecked only: no Docker engine here). The image's entrypoint is `fake-gcs-server -data
   * /data` (no such dir: nothing is seeded); the flags are the process driver's, listening on 0.0.0.0 of the
   * container's own network. Its URLs name the mapped port once it runs (configureFakeGcs).
   */
  startFakeGcs: async (input, { log }) => {
    const name = `fake-gcs-server ${input.sandboxId}`;
    const service = await startContainer(
      {
        sandboxId: input.sandboxId,
        orgId: input.orgId,
        name,
        memoryMb: input.limits.memoryMb,
        port: FAKE_GCS_PORT,
        log,
        ...(input.onRecord ? { onRecord: input.onRecord } : {}),
        build: (c, waitFor) =>
          c
            .withEnvironment({ GOMEMLIMIT: `${input.limits.memoryMb}MiB` })
            .withCommand(['-host', '0.0.0.0', '-port', String(FAKE_GCS_PORT), ...FAKE_GCS_ARGS])
            .withWaitStrategy(waitFor(FAKE_GCS_READY_PATH, FAKE_GCS_PORT, (s) => s === 200)),
      },
      FAKE_GCS_IMAGE,
    );
    return configureFakeGcs(name, service);
  },
};
