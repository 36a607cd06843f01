import { someCause } from '@paidflow/db';
import { AppError } from '../errors.ts';

/** A refused request: RATE_LIMITED (HTTP 429, tRPC TOO_MANY_REQUESTS) with its Retry-After. */
export class RateLimitError extends AppError {
  constructor(
    readonly retryAfterSeconds: number,
    message = 'too many requests; wait a moment and try again',
  ) {
    super('RATE_LIMITED', message);
    this.name = 'RateLimitError';
  }
}

/**
 * The Retry-After of a tRPC response: the longest wait among its calls' errors (through their
 * causes: the procedures' TRPCError wraps the RateLimitError), or null when none was limited.
 */
export function retryAfterOf(errors: readonly unknown[]): number | null {
  let wait: number | null = null;
  for (const error of errors) {
    someCause(error, (cause) => {
      if (!(cause instanceof RateLimitError)) return false;
      wait = Math.max(wait ?? 0, cause.retryAfterSeconds);
      return true;
    });
  }
  return wait;
}

/** The headers of tRPC's responseMeta: Retry-After on a limited response, nothing otherwise. */
export function rateLimitResponseMeta(opts: { errors: readonly unknown[] }): {
  headers?: Record<string, string>;
} {
  const wait = retryAfterOf(opts.errors);
  return wait === null ? {} : { headers: { 'retry-after': String(wait) } };
}
