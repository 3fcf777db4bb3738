// Entry of the `collexa` CLI: parses argv, runs one command against PostgreSQL, prints text or --json.
import { parseArgs } from 'node:util';
import { configOrExit } from '../entry.js';
import { createDb } from '../../core/db/knex.js';
import { AppError } from '../../core/errors.js';
import { IdentityService } from '../../core/identity/identity.service.js';
import { ApiError, runApprovalsCommand } from './approvals.commands.js';
import { HELP, runCommand, UsageError } from './commands.js';

let parsed;
try {
  parsed = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      org: { type: 'string' },
      role: { type: 'string' },
      name: { type: 'string' },
      user: { type: 'string' },
      decision: { type: 'string' },
      'api-url': { type: 'string' },
    },
  });
} catch (err) {
  process.stderr.write(`error: ${(err as Error).message}\n\n${HELP}\n`);
  process.exit(2);
}
const json = parsed.values.json === true;
if (parsed.values.help || parsed.positionals.length === 0) {
  process.stdout.write(`${HELP}\n`);
  process.exit(parsed.values.help ? 0 : 2);
}

function fail(code: string, message: string, exitCode: number): never {
  if (json) process.stderr.write(`${JSON.stringify({ error: { code, message } })}\n`);
  else process.stderr.write(`error: ${message}\n`);
  process.exit(exitCode);
}

// Approvals go through the API (the approver's key), not the database.
if (parsed.positionals[0] === 'approvals') {
  try {
    const out = await runApprovalsCommand({ positionals: parsed.positionals, flags: parsed.values });
    if (!json && out.hint) process.stderr.write(`${out.hint}\n`);
    process.stdout.write(json ? `${JSON.stringify(out.json, null, 2)}\n` : `${out.text}\n`);
    process.exit(0);
  } catch (err) {
    if (err instanceof UsageError) {
      if (!json) process.stderr.write(`${HELP}\n\n`);
      fail('usage', err.message, 2);
    }
    if (err instanceof ApiError) fail(err.code, err.message, 1);
    fail('internal', (err as Error).message, 1);
  }
}

const config = configOrExit();
const db = createDb(config.db.url, 2);
try {
  const out = await runCommand(new IdentityService(db), { positionals: parsed.positionals, flags: parsed.values });
  process.stdout.write(json ? `${JSON.stringify(out.json, null, 2)}\n` : `${out.text}\n`);
} catch (err) {
  await db.destroy();
  if (err instanceof UsageError) {
    if (!json) process.stderr.write(`${HELP}\n\n`);
    fail('usage', err.message, 2);
  }
  if (err instanceof AppError) fail(err.code, err.message, 1);
  const code = (err as { code?: string }).code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === '28P01' || code === '3D000') {
    fail(
      'database_unavailable',
      `cannot use the database at ${config.db.url.replace(/:[^:@/]+@/, ':***@')} (${(err as Error).message}); is "npm start" running, or DATABASE_URL set?`,
      1,
    );
  }
  fail('internal', (err as Error).message, 1);
}
await db.destroy();
