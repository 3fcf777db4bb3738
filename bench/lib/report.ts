// What every benchmark's report shares: number cells, aligned plain-text tables, the results file.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** A number with `digits` decimals, or `-` when there is none (no samples). */
export const fmt = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '-');

/** `name value` pairs of a breakdown (ms per component, say) on one line: `a 1.0, b 2.5`. */
export const pairs = (b: Record<string, number>) =>
  Object.entries(b)
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(', ');

/** Rows of cells as aligned lines: the first column left-aligned, the others right-aligned. */
export function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '),
  );
}

/** Writes a report as `<dir>/<name>-latest.json` (dir is the git-ignored bench/results/); answers the path. */
export function writeResults(dir: string, name: string, report: unknown): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}-latest.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
