import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { InvalidInputError } from '../../core/errors.js';
import { decodeComponent, jsonProblem, textProblem, type InputProblem } from '../../core/input/clean-input.js';

type Where = 'body' | 'query' | 'path' | 'header';

const DESCRIBE: Record<InputProblem['problem'], string> = {
  nul_byte: 'a NUL character',
  lone_surrogate: 'a lone UTF-16 surrogate',
  too_deep: 'JSON nested too deep',
  malformed_escape: 'a malformed percent-escape',
};

const MAX_PATH_SHOWN = 80;

function rejection(where: Where, problem: InputProblem, maxDepth: number): InvalidInputError {
  const path = problem.path.length > MAX_PATH_SHOWN ? `${problem.path.slice(0, MAX_PATH_SHOWN - 1)}…` : problem.path;
  const at = path ? ` at ${path}` : '';
  if (problem.problem === 'too_deep') {
    return new InvalidInputError(
      'json_too_deep',
      `The request ${where} nests objects and arrays deeper than ${maxDepth} levels${at} (JSON_MAX_DEPTH)`,
      { where, path, limit: maxDepth },
    );
  }
  const code = problem.problem === 'malformed_escape' ? 'invalid_escape' : 'invalid_text';
  return new InvalidInputError(code, `The request ${where} has ${DESCRIBE[problem.problem]}${at}`, {
    where,
    path,
    reason: problem.problem,
  });
}

/**
 * The URL and headers of every request, before any route reads them: each path segment must
 * percent-decode to clean text (the router would otherwise throw on `%E0%A4%A` while matching
 * parameters), and query values and header values must be clean text.
 */
export function urlAndHeaderGuard(maxDepth: number): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const segments = req.path.split('/');
    for (let i = 0; i < segments.length; i++) {
      const decoded = decodeComponent(segments[i]!);
      if ('problem' in decoded) throw rejection('path', { problem: decoded.problem, path: `segment ${i}` }, maxDepth);
    }
    const query = jsonProblem(req.query, maxDepth);
    if (query) throw rejection('query', query, maxDepth);
    for (const [name, value] of Object.entries(req.headers)) {
      for (const v of Array.isArray(value) ? value : [value ?? '']) {
        const problem = textProblem(v);
        if (problem) throw rejection('header', { problem, path: name }, maxDepth);
      }
    }
    next();
  };
}

/** Refuses a parsed JSON body with a NUL, a lone surrogate or nesting deeper than `maxDepth`. */
function jsonBodyGuard(maxDepth: number): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (req.body !== undefined) {
      // An explicit-stack walk: JSON.parse itself does not recurse, and neither does this check.
      const problem = jsonProblem(req.body, maxDepth);
      if (problem) throw rejection('body', problem, maxDepth);
    }
    next();
  };
}

/**
 * The JSON body parser every route uses, and its check. Compressed bodies are refused (415
 * unsupported_encoding): no client of this API sends them, and inflating is a decompression-bomb surface.
 */
export function jsonBody(opts: { limit: string; maxDepth: number }): RequestHandler[] {
  return [
    express.json({ limit: opts.limit, type: ['application/json', 'application/*+json'], inflate: false }),
    jsonBodyGuard(opts.maxDepth),
  ];
}
