// Prints `N passed, N failed, N skipped` from vitest's JSON report; exits 1 if the report is missing,
// shows a failure, or ran no test.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.reports/vitest.json';
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  console.log(`no vitest report at ${file} (${err.message})`);
  console.log('0 passed, 1 failed, 0 skipped');
  process.exit(1);
}
const suites = report.testResults ?? [];
// A file that failed before any test ran (import or hook error) has no failed assertion of its own.
const brokenFiles = suites.filter(
  (s) => s.status === 'failed' && !(s.assertionResults ?? []).some((a) => a.status === 'failed'),
).length;
const passed = report.numPassedTests ?? 0;
const failed = (report.numFailedTests ?? 0) + brokenFiles;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
if (report.success === false && failed === 0)
  console.log('vitest reported errors outside tests (see its output above)');
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || report.success === false || passed === 0 ? 1 : 0);
