// `npm start`: the whole platform in one terminal. Ctrl-C (or SIGTERM) stops everything within 10 s.
import { configOrExit } from './entry.js';
import { PortBusyError } from './dev/processes.js';
import { startStack, type RunningStack } from './dev/stack.js';

const say = (line: string) => process.stdout.write(`[collexa] ${line}\n`);
const config = configOrExit();
const t0 = Date.now();
let stack: RunningStack | undefined;
let stopping = false;

async function stop(code: number, why: string) {
  if (stopping) return;
  stopping = true;
  say(`${why}; stopping...`);
  // Hard ceiling: whatever has not stopped by now is killed (the process-group exit hook does it).
  setTimeout(() => {
    say('stop took too long; killing what is left');
    process.exit(code || 1);
  }, 9500).unref();
  await stack?.stop();
  say('stopped');
  process.exit(code);
}

process.on('SIGINT', () => void stop(0, 'SIGINT received'));
process.on('SIGTERM', () => void stop(0, 'SIGTERM received'));

try {
  say(`starting (data in ${config.dataDir})`);
  stack = await startStack(config, say);
} catch (err) {
  if (err instanceof PortBusyError) say(`cannot start: ${err.message}`);
  else say(`cannot start: ${(err as Error).message}`);
  process.exit(1);
}

const { credentials } = stack;
say(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s
  API          ${stack.apiUrl}   (try: curl -H "Authorization: Bearer $ADMIN_KEY" ${stack.apiUrl}/v1/me)
  Temporal UI  ${stack.temporalUiUrl ?? '(external Temporal at ' + stack.temporalAddress + ')'}
  UI codec     ${stack.apiUrl}/codec/login   (paste ADMIN_KEY once; then turn on "Include cross-origin credentials" in the UI's codec settings)
  Temporal     ${stack.temporalAddress}   namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue}
  PostgreSQL   ${stack.databaseUrl.replace(/:[^:@/]+@/, ':***@')}
  Demo org     ${credentials.orgName} ${credentials.orgId}
  ADMIN_KEY    ${credentials.adminKey}
  APPROVER_KEY ${credentials.approverKey}
  (keys saved in ${stack.credentialsFile}; logs in ${stack.logDir})
  Ctrl-C stops everything.`);

for (const p of stack.processes) {
  void p.exited.then(({ code, signal }) => {
    if (!stopping) {
      say(
        `${p.name} exited unexpectedly (code ${code}, signal ${signal}). Last log lines (${p.logFile}):\n${p.tail()}`,
      );
      void stop(1, `${p.name} died`);
    }
  });
}
