import { readFile } from 'node:fs/promises';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { WORKFLOWS_ENTRY } from '../core/paths.js';
import { FAILURE_CONVERTER_PATH, PAYLOAD_CONVERTER_PATH } from '../core/temporal/data-converter.js';

/**
 * Bundles workflows/ once (webpack), with the payload converter that stamps each payload's org and the failure
 * converter that encodes failure messages (a failure a workflow throws, e.g. a failed invocation's, carries
 * the tool's message: without it that would sit in plaintext in the history); reused by every worker that
 * runs from the same build.
 */
export async function buildWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_ENTRY,
    payloadConverterPath: PAYLOAD_CONVERTER_PATH,
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: quietLogger,
  });
}

/** A prebuilt bundle written by `npm run build:workflows`, or a fresh one. */
export async function loadWorkflowBundle(path: string | undefined): Promise<{ code: string }> {
  if (path) return { code: await readFile(path, 'utf8') };
  return buildWorkflowBundle();
}

// The bundler logs every webpack step at info; only problems are worth a line.
const noop = () => undefined;
const quietLogger = {
  log: noop,
  trace: noop,
  debug: noop,
  info: noop,
  warn: (message: string, meta?: Record<string, unknown>) => console.warn(message, meta ?? ''),
  error: (message: string, meta?: Record<string, unknown>) => console.error(message, meta ?? ''),
};
