// Pipelines on the real path: an LLM provider registered over the API (its key a secret) on the LLM wire
// server, whose answers are scripted per stage (the stage's system prompt says which), and helpers to
// follow a pipeline through GET /v1/pipelines/:id.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { LlmWireServer, WireAnswer, WireRequest } from './llm-wire-server.js';
import { call } from './stack.js';
import { waitFor } from './wait.js';

export type Stage = 'plan' | 'architect' | 'code';

const MARKERS: Record<Stage, string> = {
  plan: 'planning step',
  architect: 'architecture step',
  code: 'coding step',
};

/** Which stage a wire request is for, by the system prompt it carries. */
export function stageOf(req: WireRequest): Stage | undefined {
  const body = JSON.stringify(req.body);
  return (Object.keys(MARKERS) as Stage[]).find((s) => body.includes(MARKERS[s]));
}

export const PLAN = {
  title: 'Status page',
  summary: 'A static status page published to S3.',
  milestones: [{ name: 'Page', description: 'Write the page and its script' }],
  risks: ['none'],
};
export const DESIGN = {
  summary: 'One HTML page and one script.',
  components: [{ name: 'page', responsibility: 'shows the status' }],
  files: [
    { path: 'index.html', purpose: 'the page' },
    { path: 'src/status.js', purpose: 'the script' },
  ],
};
export const CODE = {
  files: [
    { path: 'index.html', content: '<!doctype html>\n<title>Status</title>\n<script src="src/status.js"></script>\n' },
    { path: './src\\status.js', content: "document.title = 'ok';\n" },
  ],
};

/**
 * Scripts `label` to answer each stage with its document; `override` answers a stage otherwise (a
 * function of how many requests that stage saw, 1 first), e.g. a hang the first time.
 */
export function scriptStages(
  wire: LlmWireServer,
  label: string,
  override: Partial<Record<Stage, (n: number) => WireAnswer | undefined>> = {},
) {
  const seen: Record<Stage, number> = { plan: 0, architect: 0, code: 0 };
  const docs: Record<Stage, unknown> = { plan: PLAN, architect: DESIGN, code: CODE };
  wire.script(label, (req) => {
    const stage = stageOf(req);
    if (!stage) return { text: 'no stage' };
    seen[stage] += 1;
    return override[stage]?.(seen[stage]) ?? { json: docs[stage], usage: { inputTokens: 1000, outputTokens: 500 } };
  });
  return seen;
}

/** Registers an OpenAI-compatible provider (chat completions) on the wire server through the API, its key a `secret:` reference. */
export async function registerWireProvider(url: string, adminKey: string, wire: LlmWireServer) {
  const label = `pipe-${randomUUID().slice(0, 8)}`;
  const name = `LLM_KEY_${randomUUID().slice(0, 6).toUpperCase()}`;
  const secret = await call(`${url}/v1/secrets`, {
    method: 'POST',
    key: adminKey,
    json: { name, value: `sk-${randomUUID()}` },
  });
  expect(secret.status, secret.text).toBe(201);
  const provider = await call(`${url}/v1/llm/providers`, {
    method: 'POST',
    key: adminKey,
    json: {
      type: 'openai-compatible',
      name: 'wire',
      model: 'gpt-4o-mini',
      apiKey: `secret:${name}`,
      baseUrl: wire.baseUrl('openai', label),
      priority: 1,
    },
  });
  expect(provider.status, provider.text).toBe(201);
  return label;
}

/** GET /v1/pipelines/:id until `done` holds. */
export function pipelineUntil(
  url: string,
  key: string,
  id: string,
  done: (p: Record<string, any>) => boolean, // eslint-disable-line @typescript-eslint/no-explicit-any -- API JSON
  what: string,
  timeoutMs = 120_000,
) {
  return waitFor(async () => (await call(`${url}/v1/pipelines/${id}`, { key })).json, done, { what, timeoutMs });
}
