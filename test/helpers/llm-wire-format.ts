import {
  DEFAULT_USAGE,
  pieces,
  type WireAnswer,
  type WireFailure,
  type WireRequest,
  type WireUsage,
} from './llm-wire-types.js';

/** A successful answer, vendor-neutral: what each format encodes as JSON or SSE. */
export interface WireCompletion {
  /** Absent when the answer is only tool calls. */
  text?: string;
  pieces: string[];
  toolCalls: { name: string; input: unknown }[];
  finish: 'stop' | 'tool' | 'safety';
  usage: WireUsage;
}

export interface WireError {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** One SSE event: `data` is JSON-encoded unless a string (OpenAI's `[DONE]`). */
export interface WireEvent {
  event?: string;
  data: unknown;
}

export type ParsedRequest = Pick<
  WireRequest,
  'api' | 'stream' | 'model' | 'lastUserText' | 'jsonSchema' | 'jsonTool' | 'toolNames'
>;

/** One vendor's wire protocol. */
export interface WireFormat {
  parse(path: string, body: Record<string, unknown>): ParsedRequest;
  error(failure: WireFailure, retryAfterSeconds: number | undefined, message: string | undefined): WireError;
  json(req: WireRequest, c: WireCompletion): unknown;
  sse(req: WireRequest, c: WireCompletion): WireEvent[];
}

/** Turns a scripted success into the neutral completion (`json` becomes a text, or the `json` tool call). */
export function completionOf(req: WireRequest, answer: WireAnswer): WireCompletion {
  const usage = ('usage' in answer && answer.usage) || DEFAULT_USAGE;
  if ('safety' in answer) return { text: '', pieces: [], toolCalls: [], finish: 'safety', usage };
  if ('toolCalls' in answer) {
    const text = answer.text;
    return { text, pieces: text ? pieces(text) : [], toolCalls: answer.toolCalls, finish: 'tool', usage };
  }
  if ('json' in answer) {
    if (req.jsonTool) return { pieces: [], toolCalls: [{ name: 'json', input: answer.json }], finish: 'tool', usage };
    const text = JSON.stringify(answer.json);
    return { text, pieces: pieces(text), toolCalls: [], finish: 'stop', usage };
  }
  if ('text' in answer) return { text: answer.text, pieces: pieces(answer.text), toolCalls: [], finish: 'stop', usage };
  throw new Error('not a success answer');
}
