// Replay safety: every saved history (test/replay/histories, recorded by record-histories.record.ts) must
// replay against the current workflow code. A failure here means a change would break running workflows:
// guard it with patched() or, if no run of the old shape can be in flight, refresh the histories (README).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type ReplayResult } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { testDataConverter } from '../helpers/stack.js';
import { HISTORIES_DIR, readHistories, RECORDED_PATHS } from './history-files.js';
import { historyFromJson } from './history-json.js';

// Core logs each failed workflow task at WARN; the assertions below already say which history failed and why.
Runtime.install({
  logger: new DefaultLogger('ERROR'),
  telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
});

const saved = readHistories();

/** Replays histories (named by file) against a workflow bundle; one result per history. */
async function replay(code: string, histories: { file: string; history: unknown }[]): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  const items = histories.map(({ file, history }) => ({ workflowId: file, history: historyFromJson(history) }));
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: { code }, replayName: 'collexa-replay', dataConverter: testDataConverter() },
    items,
  ))
    results.push(result);
  return results;
}

let currentBundle: string;
beforeAll(() => {
  currentBundle = readFileSync(inject('workflowBundlePath'), 'utf8');
});

describe('saved workflow histories', () => {
  it('include every main path the recorder saves', () => {
    const missing = RECORDED_PATHS.filter((name) => !saved.some((h) => h.file === `${name}.json`));
    expect(missing, `missing in ${HISTORIES_DIR}: run npm run test:refresh-histories`).toEqual([]);
  });

  it('replay against the current workflow code without non-determinism', async () => {
    expect(saved.length).toBeGreaterThan(0);
    const results = await replay(currentBundle, saved);
    expect(results.map((r) => r.workflowId)).toEqual(saved.map((h) => h.file));
    const failures = results
      .filter((r) => r.error)
      .map((r) => `${r.workflowId}: ${r.error!.name}: ${r.error!.message}`);
    expect(failures).toEqual([]);
  });
});

describe('the replay check', () => {
  it('catches a workflow change that running workflows could not replay (policy step removed)', async () => {
    const changed = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('./fixtures/policy-skipped.workflow.ts', import.meta.url)),
      logger: new DefaultLogger('WARN'),
    });
    const lowRisk = saved.filter((h) => h.file === 'invoke-capability-low-risk-succeeded.json');
    expect(lowRisk).toHaveLength(1);
    expect((await replay(currentBundle, lowRisk))[0]!.error).toBeUndefined();
    const [result] = await replay(changed.code, lowRisk);
    expect(result!.workflowId).toBe('invoke-capability-low-risk-succeeded.json');
    expect(result!.error).toBeInstanceOf(DeterminismViolationError);
  }, 120_000);
});
