// Runs inside a sandbox service's sandbox (plain JavaScript: the sandbox has the Node runtime, not tsx).
// The sandbox's network namespace has only loopback. This listens on <socket> (in the bridge dir the sandbox
// mounts; the host connects to it) and connects each connection to 127.0.0.1:<port>, where the service
// listens; for each --reach it listens on 127.0.0.1:<innerPort> and connects to that unix socket (a host
// listener bridging to one host address). Then it runs the service, stdout and stderr passed through, and
// stops it (SIGTERM) when its own stdin ends: the host's stop, since a signal to bwrap never reaches here.
//   node ingress-forwarder.mjs <socket> <port> [--reach <innerPort>=<socket>]... -- <command> [args...]
import { spawn } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { constants } from 'node:os';

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
const [socketPath, port, ...options] = sep === -1 ? [] : argv.slice(0, sep);
const [command, ...args] = sep === -1 ? [] : argv.slice(sep + 1);
const reach = [];
for (let i = 0; i < options.length; i += 2) {
  const m = options[i] === '--reach' ? /^(\d{1,5})=(.+)$/.exec(options[i + 1] ?? '') : null;
  if (!m) usage();
  reach.push({ port: Number(m[1]), socket: m[2] });
}
if (!socketPath || !/^\d{1,5}$/.test(port ?? '') || !command) usage();

function usage() {
  process.stderr.write(
    'usage: ingress-forwarder.mjs <socket> <port> [--reach <innerPort>=<socket>]... -- <command> [args...]\n',
  );
  process.exit(2);
}

/** A server that pipes each connection it accepts to a new one `connect` makes; an error on either closes both. */
function bridge(connect) {
  return createServer((local) => {
    const remote = connect();
    local.on('error', () => remote.destroy());
    remote.on('error', () => local.destroy());
    local.pipe(remote).pipe(local);
  });
}

function listen(server, ...at) {
  return new Promise((resolve, reject) => server.once('error', reject).listen(...at, () => resolve()));
}

try {
  for (const r of reach)
    await listen(
      bridge(() => createConnection(r.socket)),
      r.port,
      '127.0.0.1',
    );
  rmSync(socketPath, { force: true });
  await listen(
    bridge(() => createConnection({ host: '127.0.0.1', port: Number(port) })),
    socketPath,
  );
  chmodSync(socketPath, 0o600);
} catch (err) {
  process.stderr.write(`ingress-forwarder: ${err.message}\n`);
  process.exit(70);
}

const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
const stop = (signal) => child.exitCode === null && child.signalCode === null && child.kill(signal);
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => stop(signal));
process.stdin.on('end', () => stop('SIGTERM')).on('error', () => stop('SIGTERM'));
process.stdin.resume();
child.on('error', (err) => {
  process.stderr.write(`could not start ${command}: ${err.message}\n`);
  process.exit(127);
});
child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
