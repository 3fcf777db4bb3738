/** The one error family the API turns into `{"error":{"code","message","details"}}`. */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly httpStatus: number,
    message: string,
    readonly details: Record<string, unknown> = {},
    /** Response headers the error needs, e.g. Retry-After on a 429. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badRequest = (code: string, message: string, details?: Record<string, unknown>) =>
  new AppError(code, 400, message, details);
export const unauthorized = (message: string, details?: Record<string, unknown>) =>
  new AppError('unauthorized', 401, message, details);
export const forbidden = (message: string, details?: Record<string, unknown>) =>
  new AppError('forbidden', 403, message, details);
export const notFound = (what: string, id?: string) =>
  new AppError('not_found', 404, id ? `${what} ${id} not found` : `${what} not found`, id ? { id } : {});
export const conflict = (message: string, details?: Record<string, unknown>) =>
  new AppError('conflict', 409, message, details);

/**
 * A process cannot start as configured (a bad variable, a master key that does not match the data). Thrown
 * by core; the entry points report it and exit with `exitCode` (78, EX_CONFIG), so nothing in core exits.
 */
export class StartupError extends Error {
  readonly exitCode: number = 78;
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'StartupError';
  }
}

/**
 * Input the API takes from no one: a NUL or lone surrogate, JSON nested too deep, a malformed escape,
 * MCP params that break the protocol's schema. 400 on REST; JSON-RPC -32602 on /mcp.
 */
export class InvalidInputError extends AppError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(code, 400, message, details);
    this.name = 'InvalidInputError';
  }
}
