import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../core/paths.js';

/** Saved workflow histories: recorded by record-histories.record.ts, replayed by replay-histories.test.ts. */
export const HISTORIES_DIR = path.join(PROJECT_ROOT, 'test', 'replay', 'histories');

/**
 * The main paths the recorder saves, as `<workflow>-<path>` file names. The replay test requires every one,
 * so a deleted file is noticed; other JSON files in the folder (e.g. a history exported from the Temporal UI)
 * are replayed too.
 */
export const RECORDED_PATHS = [
  'ping-succeeded',
  'invoke-capability-low-risk-succeeded',
  'invoke-capability-approved-succeeded',
  'invoke-capability-denied-by-approver',
  'invoke-capability-denied-by-policy',
  'invoke-capability-approval-expired',
  'invoke-capability-cancelled-while-pending',
  'invoke-capability-tool-error-failed',
  'approval-invocation-approved',
  'approval-invocation-denied',
  'approval-invocation-expired',
  'approval-invocation-cancelled',
  'approval-standalone-approved',
  'mcp-server-healthy-stopped',
  'mcp-server-outage-recovered-stopped',
  'billing-sync-applied-stale-parked',
] as const;

export type RecordedPath = (typeof RECORDED_PATHS)[number];

export const historyFile = (name: string) => path.join(HISTORIES_DIR, `${name}.json`);

/** Every saved history, by file name (sorted), parsed but still in Temporal's JSON form. */
export function readHistories(): { file: string; history: unknown }[] {
  let files: string[];
  try {
    files = readdirSync(HISTORIES_DIR)
      .filter((f) => f.endsWith('.json'))
      .sort();
  } catch {
    files = [];
  }
  return files.map((file) => ({
    file,
    history: JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')) as unknown,
  }));
}
