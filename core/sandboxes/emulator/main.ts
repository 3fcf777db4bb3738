/**
 * The emulator process: `node --import tsx main.ts --spec <file> --port <port> [--host 127.0.0.1]`, its
 * database from libpq's environment (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE). It prints one JSON
 * line `{"msg":"listening","port":N}` on stdout once it listens (port 0: a free one) and logs JSON lines on
 * stderr; SIGTERM or SIGINT closes it. It imports only this folder, core/input/ and node_modules, which is all
 * a sandbox gives it (EMULATOR_READ_PATHS).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { parseSpec } from './openapi.js';
import { createEmulator, EMULATOR_DEFAULTS } from './server.js';

const { values } = parseArgs({
  options: { spec: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } },
});
const env = process.env;
const specPath = values.spec ?? env.EMULATOR_SPEC;
const port = Number(values.port ?? env.EMULATOR_PORT ?? 0);
const host = values.host ?? env.EMULATOR_HOST ?? '127.0.0.1';
const log = (entry: Record<string, unknown>) =>
  process.stderr.write(`${JSON.stringify({ at: new Date(), ...entry })}\n`);
const num = (name: string, fallback: number) => {
  const v = env[name] === undefined || env[name] === '' ? fallback : Number(env[name]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer, not ${env[name]}`);
  return v;
};

if (!specPath) throw new Error('the emulator needs --spec <file> (or EMULATOR_SPEC)');
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port, not ${values.port}`);

const doc = parseSpec(readFileSync(specPath, 'utf8'));
// The sandbox's role has a connection limit; the launcher's store keeps one spare for resets.
const pool = new pg.Pool({
  max: 3,
  connectionTimeoutMillis: 5000,
  idleTimeoutMillis: 30_000,
  application_name: 'collexa-emulator',
});
// An idle client whose connection the server ends (a reset, a drop) must not take the process down.
pool.on('error', (err) => log({ level: 'warn', msg: 'database connection lost', err: err.message }));

const { server, inference, warm } = createEmulator({
  doc,
  pool,
  maxBodyBytes: num('EMULATOR_MAX_BODY_BYTES', EMULATOR_DEFAULTS.maxBodyBytes),
  storage: {
    maxResources: num('EMULATOR_MAX_RESOURCES', EMULATOR_DEFAULTS.maxResources),
    maxBytes: num('EMULATOR_MAX_STORAGE_BYTES', EMULATOR_DEFAULTS.maxStorageBytes),
  },
  log,
});
server.requestTimeout = 30_000;
server.headersTimeout = 10_000;
server.listen(port, host, () => {
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  process.stdout.write(
    `${JSON.stringify({ msg: 'listening', port: bound, collections: inference.collections.length })}\n`,
  );
  setImmediate(warm);
});

let closing = false;
const close = () => {
  if (closing) return;
  closing = true;
  server.close();
  server.closeAllConnections();
  void pool.end();
};
process.on('SIGTERM', close);
process.on('SIGINT', close);
