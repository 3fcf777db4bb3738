// Workflow tests on Temporal's time-skipping test server with mocked activities: the real workflow code
// (the project's bundle), plain async functions in place of the activities, timers that fire at once.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, makeTelemetryFilterString, Runtime, Worker } from '@temporalio/worker';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { inject, vi } from 'vitest';
import type { createActivities } from '../../activities/index.js';
import {
  DECISION_TOKEN_AUDIENCE,
  DECISION_TOKEN_TYP,
  type Decision,
  type DecisionKey,
} from '../../contracts/approval.contract.js';
import { SEARCH_ATTRIBUTES } from '../../contracts/search-attributes.js';
import type { RecordedDecision } from '../../core/approvals/decision-records.js';
import { toolPath } from '../../scripts/dev/tool-paths.js';
import { buildWorkflowBundle } from '../../workers/workflow-bundle.js';
import { waitFor } from './wait.js';

export type Activities = ReturnType<typeof createActivities>;

/** Time-skipping runs are quick: poll often, give up soon. */
export const FAST = { timeoutMs: 10_000, intervalMs: 20 };

// Warnings only, core's included (a server rejecting a workflow task says why at WARN), less the noise:
// the activity failures these tests throw on purpose, and core's note that the test server does not
// advertise a newer server's capabilities. One runtime per process (vitest forks one per file).
const QUIET = [/^Activity failed$/, /is required to guarantee/];
const logger = new DefaultLogger('WARN', ({ level, message, meta }) => {
  if (!QUIET.some((re) => re.test(message)))
    console.warn(`[${level}] ${message}`, meta?.error instanceof Error ? meta.error.message : (meta ?? ''));
});
if (!Runtime.instantiator)
  Runtime.install({
    logger,
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
  });

/**
 * The provisioned time-skipping server. Off CI a machine without it skips these files; under CI=true the
 * missing binary is an error, so the file fails rather than passing silently.
 */
export function testServerPath(): string | undefined {
  try {
    return toolPath('temporal-test-server');
  } catch (err) {
    if (process.env.CI === 'true') throw err;
    return undefined;
  }
}

/**
 * Starts the time-skipping server and registers Collexa's search attributes: workflows upsert them, and
 * the test server rejects an upsert of an attribute it does not know. It has no option for them at start
 * (unlike the dev server) but implements OperatorService.addSearchAttributes.
 */
export async function startTimeSkipping(path: string): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path } },
  });
  const keyword = proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(Object.keys(SEARCH_ATTRIBUTES).map((name) => [name, keyword])),
  });
  return env;
}

/** The workflow bundle global setup already built for this run, or a fresh one when run without it. */
export async function workflowBundle(): Promise<{ code: string }> {
  const built = inject('workflowBundlePath');
  return built ? { code: readFileSync(built, 'utf8') } : buildWorkflowBundle();
}

/** Runs `fn` while a worker with these mocked activities polls a task queue of its own. */
export async function withWorker<T>(
  env: TestWorkflowEnvironment,
  bundle: { code: string },
  activities: Partial<Activities>,
  fn: (taskQueue: string) => Promise<T>,
): Promise<T> {
  const taskQueue = `wf-test-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities,
  });
  return worker.runUntil(() => fn(taskQueue));
}

/**
 * Waits until the run's history holds `count` completed regular activities. A workflow task that ends the
 * run while one is still in flight is rejected (UNHANDLED_COMMAND: the completion event came in) and
 * retried, running its local activities again; these tests count calls, so they let the webhook finish.
 */
export async function activitiesCompleted(handle: WorkflowHandle, count = 1): Promise<void> {
  await waitFor(
    async () =>
      ((await handle.fetchHistory()).events ?? []).filter((e) => e.activityTaskCompletedEventAttributes).length,
    (n) => n >= count,
    { what: `${count} completed activities`, ...FAST },
  );
}

export interface TokenClaims {
  approvalId: string;
  orgId: string;
  userId: string;
  role: string;
  decision: Decision;
  /** Server time the token is signed at: the test server's clock runs ahead of the real one once time skipped. */
  nowMs: number;
}

/** A P-256 key pair standing in for the platform signing key: the public half for openApproval, the private to sign tokens. */
export async function decisionSigner() {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  const key: DecisionKey = { kid: `test-${randomUUID()}`, x: jwk.x!, y: jwk.y! };
  /** A decision token as core/approvals/decision-token.ts signs it. */
  const sign = (c: TokenClaims) => {
    const now = Math.floor(c.nowMs / 1000);
    return new SignJWT({ org: c.orgId, approval: c.approvalId, decision: c.decision, role: c.role, channel: 'api' })
      .setProtectedHeader({ alg: 'ES256', typ: DECISION_TOKEN_TYP, kid: key.kid })
      .setAudience(DECISION_TOKEN_AUDIENCE)
      .setSubject(c.userId)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(privateKey);
  };
  return { key, sign };
}

/** Mocks of the approval workflow's activities: its row, its keys, the webhook and the recorded decision. */
export function approvalActivities(key: DecisionKey) {
  return {
    openApproval: vi.fn<Activities['openApproval']>(async (input) => ({
      expiresAt: new Date(Date.now() + input.expiresInMs).toISOString(),
      keys: [key],
    })),
    loadDecisionKeys: vi.fn<Activities['loadDecisionKeys']>(async () => [key]),
    closeApproval: vi.fn<Activities['closeApproval']>(async () => undefined),
    notifyApprovers: vi.fn<Activities['notifyApprovers']>(async () => ({ delivered: true, status: 200 })),
    // The real one verifies again and writes the row; here the token's own claims say what was decided.
    recordDecision: vi.fn<Activities['recordDecision']>(async ({ token }): Promise<RecordedDecision> => {
      const claims = decodeJwt(token);
      return {
        status: claims.decision === 'approve' ? 'approved' : 'denied',
        decidedBy: claims.sub!,
        decidedAt: new Date().toISOString(),
        channel: 'api',
      };
    }),
  };
}
