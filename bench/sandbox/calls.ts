// The same `GET /issues` (listIssues) four ways, each one timed operation: through Collexa's invoke with a
// running mock sandbox, straight to that sandbox's Prism, through Collexa with a running emulated sandbox,
// and (the yardstick) a bare Temporal workflow with one no-op activity; one at a time, rotating.
import type { Client } from '@temporalio/client';
import type { Baseline } from '../invoke/baseline.js';
import { sayEveryFifthRound } from '../lib/harness.js';
import { latencyBreakdown } from '../lib/history.js';
import { combineRounds, runRotating, type OpOutcome, type PathResult } from '../lib/load.js';
import type { SandboxTarget } from './sandboxes.js';

export const CALL_PATHS = ['collexa-mock', 'prism', 'collexa-emulated', 'bare'] as const;
export type CallPath = (typeof CALL_PATHS)[number];

export const CALL_LABELS: Record<CallPath, string> = {
  'collexa-mock': 'Collexa: POST invoke?wait=60, mock sandbox',
  prism: 'direct: GET <mock endpoint>/issues (Prism)',
  'collexa-emulated': 'Collexa: POST invoke?wait=60, emulated sandbox',
  bare: 'bare Temporal: workflow + 1 no-op activity',
};

/** Where the four operations go: the running sandboxes (and the mock's Prism endpoint), the baseline. */
export interface CallTargets extends SandboxTarget {
  mock: { id: string; endpoint: string };
  emulatedId: string;
  baseline: Baseline;
}

const failed = (what: string, detail: unknown): OpOutcome => ({
  ok: false,
  error: `${what}: ${JSON.stringify(detail).slice(0, 300)}`,
});

/** A listIssues answer: an IssueList, whose `items` is an array. */
const isIssueList = (v: unknown) => Array.isArray((v as { items?: unknown } | null)?.items);

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};

/** One operation per path; each checks its answer (a succeeded invocation, or HTTP 200, with an issue list). */
export function callOps(t: CallTargets): Record<CallPath, () => Promise<OpOutcome>> {
  return {
    'collexa-mock': () => invoke('collexa-mock', t.mock.id),
    // As the sandbox's own MCP server calls it: the spec asks for a bearer credential, Prism checks only that one is there.
    async prism() {
      const res = await fetch(`${t.mock.endpoint}/issues`, {
        headers: { authorization: 'Bearer collexa-sandbox', accept: 'application/json' },
      });
      const body = parseJson(await res.text());
      return res.status === 200 && isIssueList(body) ? { ok: true } : failed(`prism ${res.status}`, body);
    },
    'collexa-emulated': () => invoke('collexa-emulated', t.emulatedId),
    bare: () => t.baseline.op(),
  };

  async function invoke(path: CallPath, sandboxId: string): Promise<OpOutcome> {
    const res = await fetch(`${t.url}/v1/agents/${t.agentId}/invoke?wait=60`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.developerKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ capability: 'list_issues', input: {}, sandboxId }),
    });
    const body = (await res.json()) as {
      status?: string;
      workflowId?: string;
      sandboxId?: string | null;
      result?: { content?: { type: string; text?: string }[] } | null;
    };
    const text = body.result?.content?.[0]?.text;
    const ok =
      res.status === 200 &&
      body.status === 'succeeded' &&
      body.sandboxId === sandboxId &&
      typeof text === 'string' &&
      isIssueList(parseJson(text));
    return ok
      ? { ok, ...(body.workflowId ? { workflowId: body.workflowId } : {}) }
      : failed(`${path} ${res.status}`, body);
  }
}

export interface CallsResult {
  thinkMs: number;
  order: string[];
  paths: Record<CallPath, PathResult & { perRoundP50: number[] }>;
  /** p50 ÷ p50 of the direct Prism call and of the bare workflow. */
  ratios: Record<CallPath, { overPrism: number; overBare: number }>;
  /** Median ms per operation from 30 sampled workflow histories per path (bench/lib/history.ts). */
  breakdownMs: Record<Exclude<CallPath, 'prism'>, Record<string, number>>;
}

/** Measures the four paths at concurrency 1 in rotating rounds, then reads sampled histories. */
export async function measureCalls(
  ops: Record<CallPath, () => Promise<OpOutcome>>,
  clients: { collexa: Client; bare: Client },
  opts: { n: number; rounds: number; thinkMs: number },
): Promise<CallsResult> {
  const { runs, order } = await runRotating(ops, {
    ...opts,
    concurrency: 1,
    pauseMs: 200,
    onBlock: sayEveryFifthRound(opts.rounds),
  });
  const paths = combineRounds(CALL_PATHS, runs);
  const p50 = (p: CallPath) => paths[p].latencyMs.p50;
  const okSamples = (p: CallPath) => runs[p].flatMap((r) => r.samples.filter((x) => x.ok));
  return {
    thinkMs: opts.thinkMs,
    order,
    paths,
    ratios: Object.fromEntries(
      CALL_PATHS.map((p) => [p, { overPrism: p50(p) / p50('prism'), overBare: p50(p) / p50('bare') }]),
    ) as CallsResult['ratios'],
    breakdownMs: {
      'collexa-mock': await latencyBreakdown(clients.collexa, okSamples('collexa-mock'), 30, { perTask: true }),
      'collexa-emulated': await latencyBreakdown(clients.collexa, okSamples('collexa-emulated'), 30, { perTask: true }),
      bare: await latencyBreakdown(clients.bare, okSamples('bare'), 30, { perTask: true }),
    },
  };
}
