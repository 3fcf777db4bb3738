// Where a benchmark's CPU goes inside this process: a V8 CPU profile of the measured phases only (the
// inspector in-process, so set-up and bundling stay out of it), summed by the code that spent it (a package
// under node_modules, a directory of ours, or V8's own GC/program buckets), plus PostgreSQL statements
// counted per pool. Used by bench/invoke with BENCH_PROFILE=1.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import type { Db } from '../../core/db/knex.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** A running in-process CPU profile; stop() writes the .cpuprofile (open it in Chrome DevTools) and returns it. */
export async function startCpuProfile(): Promise<{ stop(file: string): Promise<CpuProfile> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
      session.disconnect();
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(profile));
      return profile;
    },
  };
}

/** Which code a frame belongs to: `pkg:<name>` under node_modules, `ours:<dir>`, `node:<module>`, or V8's bucket. */
export function areaOf(url: string, functionName: string, root = process.cwd()): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + '/node_modules/'.length).split('/');
    return `pkg:${parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const file = url.startsWith('file://') ? new URL(url).pathname : url;
  const rel = path.relative(root, file);
  if (rel.startsWith('..')) return '(other)';
  const dirs = rel.split(path.sep);
  return `ours:${dirs.slice(0, Math.min(2, dirs.length - 1)).join('/') || rel}`;
}

/** Self time per area in ms, largest first (from the samples' time deltas, so the sampling interval drops out). */
export function selfTimeByArea(profile: CpuProfile, root?: string): { area: string; ms: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const node = byId.get(samples[i]!);
    if (!node) continue;
    // A sample's time is the delta to the next sample.
    const us = deltas[i + 1] ?? 0;
    const area = areaOf(node.callFrame.url, node.callFrame.functionName, root);
    totals.set(area, (totals.get(area) ?? 0) + us / 1000);
  }
  return [...totals].map(([area, ms]) => ({ area, ms })).sort((a, b) => b.ms - a.ms);
}

/** Counts the statements a pool sends (knex's `query` event): by their first keyword, and by their text. */
export function countStatements(db: Db): {
  counts: Record<string, number>;
  bySql: Map<string, number>;
  stop(): void;
} {
  const counts: Record<string, number> = {};
  const bySql = new Map<string, number>();
  const onQuery = (q: { sql?: string }) => {
    const sql = (q.sql ?? '').trim().replace(/\s+/g, ' ');
    const verb = sql.split(' ')[0]?.toLowerCase() || '?';
    counts[verb] = (counts[verb] ?? 0) + 1;
    const key = sql.length > 160 ? `${sql.slice(0, 160)}…` : sql;
    bySql.set(key, (bySql.get(key) ?? 0) + 1);
  };
  db.on('query', onQuery);
  return {
    counts,
    bySql,
    stop: () => void db.off('query', onQuery),
  };
}
