// A long-lived HTTP service in the stdio-server sandbox, as a hostile service meets it: where it can be
// reached, what it runs as, what it can reach, how it stops, and how a recorded process is killed.
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { LIMIT_DEFAULTS } from '../../core/limits/defaults.js';
import { sandboxUid } from '../../core/mcp/sandbox.js';
import { bridgeDir } from '../../core/sandboxes/host-bridges.js';
import {
  killRecorded,
  ServiceStartError,
  startService,
  type RunningService,
  type ServiceSpec,
} from '../../core/sandboxes/service-process.js';
import { PROJECT_ROOT } from '../../core/paths.js';
import { componentsPresent, missingSandboxTools } from '../helpers/components.js';
import { alive, allEnded, treeOf, type Proc } from '../helpers/service-processes.js';
import { testLogger, testSandbox } from '../helpers/stack.js';

const FIXTURE = path.join(PROJECT_ROOT, 'test', 'fixtures', 'sandbox-http-service.mjs');
const isRoot = process.getuid?.() === 0;
// An org of this file's own: the process budget (RLIMIT_NPROC) is per org uid.
const ORG = '66666666-6666-4666-8666-666666666666';
const INNER_PORT = 8080;
const present = componentsPresent('the sandbox service tests', missingSandboxTools());

const running: RunningService[] = [];
let listener: Server;
let port: number;
let accepted = 0;

function spec(id: string, over: Partial<ServiceSpec> = {}): ServiceSpec {
  const { memoryMb, cpuSeconds, maxProcesses, maxOpenFiles } = LIMIT_DEFAULTS.low;
  return {
    id,
    orgId: ORG,
    name: `test service ${id}`,
    command: process.execPath,
    args: [FIXTURE, String(INNER_PORT)],
    env: {},
    innerPort: INNER_PORT,
    readablePaths: [],
    limits: { memoryMb, cpuSeconds, maxProcesses, maxOpenFiles },
    startTimeoutMs: 20_000,
    ...over,
  };
}

async function start(id: string, over: Partial<ServiceSpec> = {}): Promise<RunningService> {
  const service = await startService(spec(id, over), testSandbox(), testLogger);
  running.push(service);
  return service;
}

async function get<T>(service: RunningService, route: string): Promise<T> {
  const res = await fetch(`${service.url}${route}`, { signal: AbortSignal.timeout(10_000) });
  return (await res.json()) as T;
}

beforeAll(async () => {
  listener = createServer((socket) => {
    accepted++;
    socket.end('hello from the host\n');
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as AddressInfo).port;
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

afterAll(async () => {
  await new Promise((resolve) => listener.close(resolve));
});

describe.skipIf(!present)('sandbox service process', () => {
  it('is reachable on 127.0.0.1 only, and runs as the org uid with no network', async () => {
    const service = await start('svc-net');
    expect(service.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await get(service, '/')).toEqual({ ok: true });

    // The host listener is on loopback: another address of this machine does not answer on its port.
    const other = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    if (other) {
      const servicePort = new URL(service.url).port;
      await expect(fetch(`http://${other}:${servicePort}/`, { signal: AbortSignal.timeout(3_000) })).rejects.toThrow();
    }

    const who = await get<{ uid: number; gid: number; pid: number }>(service, '/whoami');
    if (isRoot) expect(who).toMatchObject({ uid: sandboxUid(ORG, testSandbox().uidBase) });
    expect(who.uid).not.toBe(0);
    expect(who.pid).toBeLessThan(10); // its own PID namespace

    const before = accepted;
    const loopback = await get<{ connected: boolean; error?: string }>(service, `/connect?host=127.0.0.1&port=${port}`);
    expect(loopback.connected).toBe(false);
    expect(loopback.error).toBe('ECONNREFUSED');
    const outside = await get<{ fetched: boolean; error?: string }>(service, '/fetch?url=http://93.184.215.14/');
    expect(outside.fetched).toBe(false);
    expect(outside.error).toMatch(/^(ENETUNREACH|EHOSTUNREACH|ECONNREFUSED)$/);
    const named = await get<{ fetched: boolean; error?: string }>(service, '/fetch?url=http://example.com/');
    expect(named.fetched).toBe(false);
    expect(accepted).toBe(before);
  });

  it('reaches a host address through a reach route and nothing else, over sockets only its uid can use', async () => {
    const service = await start('svc-reach', { reach: [{ innerPort: 5433, host: '127.0.0.1', port }] });
    expect(await get(service, '/connect?host=127.0.0.1&port=5433')).toEqual({
      connected: true,
      said: 'hello from the host',
    });
    expect(await get(service, '/connect?host=127.0.0.1&port=5434')).toMatchObject({ connected: false });

    const dir = bridgeDir(testSandbox().workRoot, 'svc-reach');
    const uid = isRoot ? sandboxUid(ORG, testSandbox().uidBase) : process.getuid!();
    expect({ uid: lstatSync(dir).uid, mode: lstatSync(dir).mode & 0o777 }).toEqual({ uid, mode: 0o700 });
    for (const name of readdirSync(dir)) {
      const st = lstatSync(path.join(dir, name));
      expect(st.isSocket(), name).toBe(true);
      expect({ name, mode: st.mode & 0o777, uid: st.uid }).toEqual({ name, mode: 0o600, uid });
    }
    expect(readdirSync(dir).sort()).toEqual(['in.sock', 'r5433.sock']);
  });

  it('never connects through an ingress socket the service swapped for a symlink', async () => {
    const service = await start('svc-swap');
    const socket = path.join(bridgeDir(testSandbox().workRoot, 'svc-swap'), 'in.sock');
    const target = path.join(inject('runDir'), 'host-service.sock');
    let reached = 0;
    const host = createServer((s) => (reached++, s.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi')));
    await new Promise<void>((resolve) => host.listen(target, resolve));
    try {
      expect(await get(service, `/swap?socket=${socket}&target=${target}`)).toEqual({ swapped: true });
      expect(lstatSync(socket).isSymbolicLink()).toBe(true);
      await expect(fetch(`${service.url}/`, { signal: AbortSignal.timeout(5_000) })).rejects.toThrow();
      expect(reached).toBe(0);
      await service.stop(); // removes the link, not what it points at
      expect(lstatSync(target).isSocket()).toBe(true);
    } finally {
      await new Promise((resolve) => host.close(resolve));
    }
  });

  it('stops with SIGTERM to the service, leaving no process and no socket, and stop() is idempotent', async () => {
    const service = await start('svc-stop');
    const tree = treeOf(service);
    expect(tree.length).toBeGreaterThanOrEqual(3); // bwrap, its init, the forwarder, the service
    const dir = bridgeDir(testSandbox().workRoot, 'svc-stop');
    expect(existsSync(path.join(dir, 'in.sock'))).toBe(true);

    await Promise.all([service.stop(), service.stop()]);
    const exit = await service.exited;
    expect(exit.output).toContain('got SIGTERM, stopping');
    await allEnded(tree);
    expect(existsSync(dir)).toBe(false);
    await expect(fetch(`${service.url}/`, { signal: AbortSignal.timeout(3_000) })).rejects.toThrow();
    await service.stop();
  });

  it('fails naming the service and what it printed when it exits before answering, and leaves nothing', async () => {
    const err = await startService(
      spec('svc-crash', { args: ['-e', 'console.error("cannot open the database"); process.exit(3)'] }),
      testSandbox(),
      testLogger,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceStartError);
    expect((err as Error).message).toMatch(/test service svc-crash exited \(code 3\) before it answered HTTP/);
    expect((err as Error).message).toContain('cannot open the database');
    expect(existsSync(bridgeDir(testSandbox().workRoot, 'svc-crash'))).toBe(false);
  });

  it('fails when the service never answers within startTimeoutMs, and stops it', async () => {
    let proc: Proc | undefined;
    const started = Date.now();
    const err = await startService(
      spec('svc-silent', {
        args: ['-e', 'console.error("thinking"); setInterval(() => {}, 1000)'],
        startTimeoutMs: 1_500,
        onRecord: (r) => void (proc = r),
      }),
      testSandbox(),
      testLogger,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceStartError);
    expect((err as Error).message).toMatch(/svc-silent did not answer HTTP on \/ within 1500 ms; it printed: thinking/);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(proc).toBeDefined();
    expect(alive(proc!)).toBe(false);
  });

  it('killRecorded kills a live recorded process, and refuses one whose start time or host does not match', async () => {
    const service = await start('svc-kill');
    const tree = treeOf(service);
    const { record } = service;
    expect(record).toEqual({ hostId: expect.any(String), pid: service.pid, startedAt: expect.any(Number) });

    expect(await killRecorded({ ...record, startedAt: record.startedAt + 1 })).toBe('pid-reused');
    expect(await killRecorded({ ...record, hostId: 'another-host/boot' })).toBe('other-host');
    expect(await get(service, '/')).toEqual({ ok: true });

    expect(await killRecorded(record)).toBe('killed');
    expect((await service.exited).signal).toBe('SIGKILL');
    await allEnded(tree, 30_000);
    expect(await killRecorded(record)).toBe('gone');
  });
});
