import { InvalidCursorError, someCause } from '@paidflow/db';

/** The codes a service may fail with; mapped to tRPC and HTTP codes in one place (trpc/init.ts, http.ts). */
export type AppErrorCode =
  | 'INVALID_INPUT'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNPROCESSABLE'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE';

export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}

export const HTTP_STATUS: Record<AppErrorCode, number> = {
  INVALID_INPUT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNPROCESSABLE: 422,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
};

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'PROTOCOL_CONNECTION_LOST',
  'ER_CON_COUNT_ERROR',
  'EPIPE',
  'ENOTFOUND',
  'ER_SERVER_SHUTDOWN',
]);

/** True when an error means MySQL (or Redis) cannot be reached: the caller should retry later. */
export function isUnavailableError(error: unknown): boolean {
  return someCause(error, (cause) => {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    if (cause instanceof AppError) return cause.code === 'UNAVAILABLE';
    // A programming error whose message happens to say "connection" is a bug, not an outage
    // (its causes, if any, are still looked at: fetch's TypeError carries ECONNREFUSED).
    if (cause instanceof TypeError || cause instanceof RangeError || cause instanceof ReferenceError)
      return false;
    return /connect|Connection is closed|pool is closed/i.test(String((cause as Error).message ?? ''));
  });
}

/**
 * What an error means to a caller, as an AppError, or null for an unexpected one (a bug: logged
 * as such, answered 500). The one translation of errors: the tRPC middleware, the live streams
 * and the HTTP routes all use it. A malformed cursor is bad input; MySQL (or Redis) unreachable
 * is UNAVAILABLE, so that the caller retries.
 */
export function toAppError(error: unknown): AppError | null {
  if (error instanceof AppError) return error;
  if (error instanceof InvalidCursorError)
    return new AppError('INVALID_INPUT', error.message, { cause: error });
  if (isUnavailableError(error)) {
    return new AppError('UNAVAILABLE', 'the database is unavailable; try again shortly', { cause: error });
  }
  return null;
}
