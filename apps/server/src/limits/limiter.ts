import { createHash } from 'node:crypto';
import type { RedisNamespace } from '@paidflow/contracts';
import { type Logger, type RedisClient, withTimeout } from '@paidflow/runtime';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../errors.ts';

/** What a limit says about one request: go on, or wait this many seconds (Retry-After). */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** A Redis that does not answer within this is taken as down: a limit never holds a request up. */
export const LIMIT_REDIS_TIMEOUT_MS = 500;
/** An outage is logged at most once per this, per limit, however many requests meet it. */
const OUTAGE_LOG_INTERVAL_MS = 30_000;

export interface RateLimitSpec {
  /** Names the limit in keys and logs: `ratelimit:<name>:<digest of the client key>`. */
  name: string;
  /** Requests allowed per window; 0 turns the limit off. */
  points: number;
  windowSeconds: number;
  /**
   * What an unreachable Redis means. `open` (the default): the request goes on, and the outage
   * is logged. `closed`: the request is refused with UNAVAILABLE (sign-in: no unlimited guessing).
   */
  whenRedisDown?: 'open' | 'closed';
  /** The UNAVAILABLE answer's message when failing closed. */
  unavailableMessage?: string;
}

export interface RateLimit {
  readonly spec: RateLimitSpec;
  /**
   * Counts `cost` points (default 1: one request or call) for `client` (an address, an e-mail, a
   * session's token hash). A batch of tRPC calls costs one point per call.
   */
  take(client: string, cost?: number): Promise<RateDecision>;
  /** Forgets `client`'s count (a successful sign-in clears its e-mail's). Never throws. */
  clear(client: string): Promise<void>;
}

export interface LimiterDeps {
  redis: RedisClient;
  namespace: RedisNamespace;
  logger: Logger;
}

/** Clients are stored by digest: no address or e-mail in Redis keys. */
function digest(client: string): string {
  return createHash('sha256').update(client).digest('hex').slice(0, 32);
}

/** Runs `log` at most once per interval: a Redis outage under load is one line, not thousands. */
export function throttled(intervalMs: number): (log: () => void) => void {
  let last = Number.NEGATIVE_INFINITY;
  return (log) => {
    const now = Date.now();
    if (now - last < intervalMs) return;
    last = now;
    log();
  };
}

/**
 * One fixed-window limit kept in Redis (rate-limiter-flexible's RateLimiterRedis on the app's
 * connection, under the install's key prefix), so every server process shares the count. The
 * window starts at a client's first request.
 */
export function createRateLimit(deps: LimiterDeps, spec: RateLimitSpec): RateLimit {
  const limiter = new RateLimiterRedis({
    storeClient: deps.redis,
    keyPrefix: deps.namespace.key(`ratelimit:${spec.name}`),
    points: Math.max(1, spec.points),
    duration: spec.windowSeconds,
    // The app's connection queues nothing while down: fail at once rather than wait.
    rejectIfRedisNotReady: true,
  });
  const logOutage = throttled(OUTAGE_LOG_INTERVAL_MS);
  const logLimited = throttled(OUTAGE_LOG_INTERVAL_MS / 3);

  async function take(client: string, cost = 1): Promise<RateDecision> {
    if (spec.points === 0) return { allowed: true };
    const key = digest(client);
    try {
      await withTimeout(limiter.consume(key, cost), LIMIT_REDIS_TIMEOUT_MS, `${spec.name} rate limit`);
      return { allowed: true };
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        const retryAfterSeconds = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
        // The first refusal of a window is always logged; the rest of a flood is sampled.
        if (error.consumedPoints - cost <= spec.points) {
          deps.logger.info({ limit: spec.name, client: key, points: spec.points, cost }, 'rate limited');
        } else {
          logLimited(() => deps.logger.info({ limit: spec.name, client: key }, 'still rate limited'));
        }
        return { allowed: false, retryAfterSeconds };
      }
      if (spec.whenRedisDown === 'closed') {
        logOutage(() =>
          deps.logger.warn({ err: error, limit: spec.name }, 'rate limiter unavailable; refusing'),
        );
        throw new AppError(
          'UNAVAILABLE',
          spec.unavailableMessage ?? 'unavailable right now; try again shortly',
          {
            cause: error,
          },
        );
      }
      logOutage(() =>
        deps.logger.warn(
          { err: error, limit: spec.name },
          'rate limiter unavailable; letting requests through',
        ),
      );
      return { allowed: true };
    }
  }

  async function clear(client: string): Promise<void> {
    try {
      await withTimeout(limiter.delete(digest(client)), LIMIT_REDIS_TIMEOUT_MS, `${spec.name} clear`);
    } catch (error) {
      deps.logger.warn({ err: error, limit: spec.name }, 'could not clear a rate limit count');
    }
  }

  return { spec, take, clear };
}

/** The longer wait of several decisions, or null when every one allowed the request. */
export function refusal(...decisions: RateDecision[]): number | null {
  let wait: number | null = null;
  for (const decision of decisions) {
    if (!decision.allowed) wait = Math.max(wait ?? 0, decision.retryAfterSeconds);
  }
  return wait;
}
