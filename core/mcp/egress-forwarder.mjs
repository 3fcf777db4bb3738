// Runs inside a stdio server's sandbox (plain JavaScript: the sandbox has the Node runtime, not tsx).
// The sandbox's network namespace has only loopback; this listens on 127.0.0.1:<port> and forwards every
// connection to the worker's egress proxy through the unix socket the sandbox mounts, then runs the
// server with HTTP(S)_PROXY pointing here, its stdio passed straight through (the MCP channel).
//   node egress-forwarder.mjs <socket> <port> -- <command> [args...]
import { spawn } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

const [socketPath, port, sep, command, ...args] = process.argv.slice(2);
if (!socketPath || !port || sep !== '--' || !command) {
  process.stderr.write('usage: egress-forwarder.mjs <socket> <port> -- <command> [args...]\n');
  process.exit(2);
}

const listener = createServer((local) => {
  const remote = createConnection(socketPath);
  local.on('error', () => remote.destroy());
  remote.on('error', () => local.destroy());
  local.pipe(remote).pipe(local);
});
listener.listen(Number(port), '127.0.0.1', () => {
  const proxy = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    HTTP_PROXY: proxy,
    HTTPS_PROXY: proxy,
    http_proxy: proxy,
    https_proxy: proxy,
    NODE_USE_ENV_PROXY: '1',
  };
  // Everything goes through the proxy but requests to the forwarder itself: a client that proxies by hand
  // (axios) sends them here, and Node 24's own proxying (NODE_USE_ENV_PROXY) must not proxy them again.
  env.NO_PROXY = env.no_proxy = `127.0.0.1:${port}`;
  const child = spawn(command, args, { stdio: 'inherit', env });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('error', (err) => {
    process.stderr.write(`could not start ${command}: ${err.message}\n`);
    process.exit(127);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
});
