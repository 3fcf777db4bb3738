import type { LlmGateway } from '../../core/llm/llm-gateway.js';

/** bench/llm's one activity: the same prompt answered through the gateway (cache, chain, record) or by a bare SDK call. */
export function createLlmStepActivities(deps: {
  gateway: LlmGateway;
  orgId: string;
  direct: (prompt: string) => Promise<string>;
}) {
  return {
    async llmStep(input: { via: 'gateway' | 'direct'; prompt: string }): Promise<string> {
      if (input.via === 'direct') return deps.direct(input.prompt);
      const r = await deps.gateway.generate({
        orgId: deps.orgId,
        purpose: 'bench.step',
        messages: [{ role: 'user', content: input.prompt }],
      });
      return r.text;
    },
  };
}
