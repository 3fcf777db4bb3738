// Runs only the history recorder (npm run test:refresh-histories), on the same global setup as `npm test`.
// A config of its own keeps the recorder out of `npm test` entirely: CI replays, it never records.
import { defineConfig } from 'vitest/config';
import { PROJECT_ROOT } from '../../core/paths.js';
import base from '../../vitest.config.js';

export default defineConfig({
  ...base,
  root: PROJECT_ROOT,
  test: {
    ...base.test,
    include: ['test/replay/record-histories.record.ts'],
    // Not the json reporter: .reports/vitest.json is the CI summary of `npm test`.
    reporters: ['default'],
    outputFile: undefined,
  },
});
