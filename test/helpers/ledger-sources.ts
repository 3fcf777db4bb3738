// Billable sources written as the features that own them write them: LLM calls as the gateway records them
// (llm_calls), a sandbox's minutes as the sandbox host records them when it ends (usage_records).
import { randomUUID } from 'node:crypto';
import type { Db } from '../../core/db/knex.js';

/** `n` successful LLM calls of the org, `tokens` in and out each, priced at `costUsd`; their ids. */
export async function recordLlmCalls(
  db: Db,
  orgId: string,
  n: number,
  tokens = { input: 100, output: 50 },
  costUsd = 0.0003,
) {
  const rows = Array.from({ length: n }, () => ({
    id: randomUUID(),
    org_id: orgId,
    provider_name: 'wire',
    provider_type: 'openai',
    model: 'gpt-test',
    purpose: 'tool_suggest',
    input_tokens: tokens.input,
    output_tokens: tokens.output,
    cost_usd: costUsd,
    status: 'ok',
  }));
  await db('llm_calls').insert(rows);
  return rows.map((r) => r.id);
}

/** A sandbox that ran `minutes` and ended now. */
export async function recordSandboxMinutes(db: Db, orgId: string, minutes: number) {
  const end = new Date();
  await db('usage_records').insert({
    org_id: orgId,
    kind: 'sandbox_minutes',
    subject_id: randomUUID(),
    quantity: minutes,
    period_start: new Date(end.getTime() - minutes * 60_000),
    period_end: end,
  });
}
