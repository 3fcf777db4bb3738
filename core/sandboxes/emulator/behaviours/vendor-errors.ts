/**
 * Error answers in a vendor's own shape, for a spec whose `x-collexa-emulator.errors` names one: a client
 * written for the vendor (an integration's readError) then reads the emulator's errors as the vendor's.
 *
 *   jira:        {"errorMessages": ["…"], "errors": {"field": "…"}}
 *   confluence:  {"statusCode": 400, "data": {"authorized": true, "valid": false, "errors": […], "successful": false},
 *                 "message": "…"}
 *   github:      {"message": "…", "documentation_url": "https://docs.github.com/rest", "status": "404"}
 *   google:      {"error": {"code": 404, "message": "…", "errors": [{"message": "…", "domain": "global", "reason": "notFound"}]}}
 *                (Compute Engine's shape, without `status`)
 */
import type { EmulatorError } from '../http-io.js';
import { isObject, type Json, type JsonObject } from '../openapi.js';

export const ERROR_FORMATS = ['jira', 'confluence', 'github', 'google'] as const;
export type ErrorFormat = (typeof ERROR_FORMATS)[number];

/**
 * Field errors of an EmulatorError: a behaviour's own (`details.fieldErrors`, field → message) or the
 * validator's (`details.errors`, by instance path).
 */
function fieldErrors(err: EmulatorError): JsonObject {
  const own = err.details.fieldErrors;
  if (isObject(own)) return own as JsonObject;
  const listed = err.details.errors;
  if (!Array.isArray(listed)) return {};
  const out: JsonObject = {};
  for (const e of listed.slice(0, 20))
    if (isObject(e) && typeof e.message === 'string')
      out[typeof e.path === 'string' && e.path !== '/' ? e.path.replace(/^\//, '').replace(/\//g, '.') : 'body'] =
        e.message;
  return out;
}

// Google's `reason` for a status (https://cloud.google.com/compute/docs/api/how-tos/api-errors).
const GOOGLE_REASONS: Record<number, string> = {
  400: 'invalid',
  401: 'required',
  403: 'forbidden',
  404: 'notFound',
  409: 'alreadyExists',
  412: 'conditionNotMet',
  429: 'rateLimitExceeded',
};

export function vendorErrorBody(format: ErrorFormat, err: EmulatorError): Json {
  if (format === 'google') {
    const reason = GOOGLE_REASONS[err.status] ?? (err.status >= 500 ? 'backendError' : 'invalid');
    return {
      error: { code: err.status, message: err.message, errors: [{ message: err.message, domain: 'global', reason }] },
    };
  }
  if (format === 'github')
    return { message: err.message, documentation_url: 'https://docs.github.com/rest', status: String(err.status) };
  const errors = fieldErrors(err);
  if (format === 'jira')
    // Jira lists field errors under `errors` and says nothing more when there are some.
    return { errorMessages: isObject(err.details.fieldErrors) ? [] : [err.message], errors };
  const messages = Object.entries(errors).map(([field, text]) => ({
    message: { key: field, args: [], translation: String(text) },
  }));
  return {
    statusCode: err.status,
    data: { authorized: err.status !== 401 && err.status !== 403, valid: false, errors: messages, successful: false },
    message: err.message,
  };
}
