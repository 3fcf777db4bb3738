import { proxyActivities } from '@temporalio/workflow';
import type { createLlmStepActivities } from './llm-step.activities.js';

const { llmStep } = proxyActivities<ReturnType<typeof createLlmStepActivities>>({ startToCloseTimeout: '30 seconds' });

/** bench/llm: one LLM step as a pipeline runs it, a workflow with one activity (through the gateway or the SDK directly). */
export async function llmStepWorkflow(input: { via: 'gateway' | 'direct'; prompt: string }): Promise<string> {
  return llmStep(input);
}
