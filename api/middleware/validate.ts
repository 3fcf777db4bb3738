import type { Request } from 'express';
import type { z } from 'zod';
import { badRequest, notFound } from '../../core/errors.js';

function issuesOf(error: z.ZodError) {
  return error.issues.map((i) => ({ path: i.path.join('.'), message: i.message, code: i.code }));
}

/** Parses the JSON body against `schema` or throws a 400 listing every problem. */
export function parseBody<S extends z.ZodType>(req: Request, schema: S): z.infer<S> {
  const parsed = schema.safeParse(req.body ?? {});
  if (!parsed.success)
    throw badRequest('validation_error', 'The request body is invalid', { issues: issuesOf(parsed.error) });
  return parsed.data;
}

/** Parses the query string against `schema` or throws a 400 listing every problem. */
export function parseQuery<S extends z.ZodType>(req: Request, schema: S): z.infer<S> {
  const parsed = schema.safeParse(req.query);
  if (!parsed.success)
    throw badRequest('validation_error', 'The query string is invalid', { issues: issuesOf(parsed.error) });
  return parsed.data;
}

/** Parses a path parameter against `schema`; an id of the wrong shape is a 404, as it can name nothing. */
export function parseParam<S extends z.ZodType>(req: Request, name: string, schema: S, what: string): z.infer<S> {
  const value = req.params[name];
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw notFound(what, String(value));
  return parsed.data;
}
