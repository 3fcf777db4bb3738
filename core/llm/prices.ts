import { z } from 'zod';

/** USD per million tokens, input and output. */
export const ModelPriceSchema = z.strictObject({
  inputPerMTok: z.number().min(0).max(10_000),
  outputPerMTok: z.number().min(0).max(10_000),
});
export type ModelPrice = z.infer<typeof ModelPriceSchema>;
/** LLM_PRICES: `{"<model or model prefix>": {"inputPerMTok": n, "outputPerMTok": n}}`. */
export const PriceTableSchema = z.record(z.string().min(1).max(200), ModelPriceSchema);
export type PriceTable = z.infer<typeof PriceTableSchema>;

// List prices by model family (the longest matching prefix wins, so `gpt-4o-mini` is not priced as `gpt-4o`).
// An operator's LLM_PRICES entry overrides or adds to these; a model neither names costs 0, recorded as unpriced.
export const DEFAULT_PRICES: PriceTable = {
  'gpt-5': { inputPerMTok: 1.25, outputPerMTok: 10 },
  'gpt-5-mini': { inputPerMTok: 0.25, outputPerMTok: 2 },
  'gpt-5-nano': { inputPerMTok: 0.05, outputPerMTok: 0.4 },
  'gpt-4.1': { inputPerMTok: 2, outputPerMTok: 8 },
  'gpt-4.1-mini': { inputPerMTok: 0.4, outputPerMTok: 1.6 },
  'gpt-4.1-nano': { inputPerMTok: 0.1, outputPerMTok: 0.4 },
  'gpt-4o': { inputPerMTok: 2.5, outputPerMTok: 10 },
  'gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6 },
  o3: { inputPerMTok: 2, outputPerMTok: 8 },
  'o4-mini': { inputPerMTok: 1.1, outputPerMTok: 4.4 },
  'claude-opus-4': { inputPerMTok: 15, outputPerMTok: 75 },
  'claude-sonnet-4': { inputPerMTok: 3, outputPerMTok: 15 },
  'claude-haiku-4': { inputPerMTok: 1, outputPerMTok: 5 },
  'claude-3-5-haiku': { inputPerMTok: 0.8, outputPerMTok: 4 },
  'claude-3-haiku': { inputPerMTok: 0.25, outputPerMTok: 1.25 },
  'gemini-2.5-pro': { inputPerMTok: 1.25, outputPerMTok: 10 },
  'gemini-2.5-flash': { inputPerMTok: 0.3, outputPerMTok: 2.5 },
  'gemini-2.5-flash-lite': { inputPerMTok: 0.1, outputPerMTok: 0.4 },
  'gemini-2.0-flash': { inputPerMTok: 0.1, outputPerMTok: 0.4 },
};

export interface CallCost {
  costUsd: number;
  priced: boolean;
}

/** Prices calls from the defaults plus the operator's table. */
export class LlmPrices {
  private readonly table: [string, ModelPrice][];

  constructor(overrides: PriceTable = {}) {
    this.table = Object.entries({ ...DEFAULT_PRICES, ...overrides }).sort((a, b) => b[0].length - a[0].length);
  }

  priceOf(model: string): ModelPrice | undefined {
    const m = model.toLowerCase();
    return this.table.find(([prefix]) => m.startsWith(prefix.toLowerCase()))?.[1];
  }

  cost(model: string, usage: { inputTokens: number; outputTokens: number }): CallCost {
    const p = this.priceOf(model);
    if (!p) return { costUsd: 0, priced: false };
    const usd = (usage.inputTokens * p.inputPerMTok + usage.outputTokens * p.outputPerMTok) / 1_000_000;
    return { costUsd: Math.round(usd * 1e6) / 1e6, priced: true };
  }
}
