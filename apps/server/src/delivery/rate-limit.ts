import { createHash } from 'node:crypto';
import { withTimeout } from '@paidflow/runtime';
import type { AppDeps } from '../deps.ts';

const WINDOW_MS = 60_000;
/** A Redis that does not answer within this is taken as down. */
const REDIS_TIMEOUT_MS = 500;

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * The download page's limit per client address: a fixed one-minute window in Redis (INCR, and
 * PEXPIRE on the window's first request), shared by every server process. Fails open: when Redis
 * is down the request is served and the outage logged, because a customer's paid download matters
 * more than a limit whose job is to slow token guessing, and tokens are not guessable anyway.
 */
export async function takeDeliveryRequest(
  deps: Pick<AppDeps, 'env' | 'namespace' | 'redis' | 'logger'>,
  ip: string | null,
  now: number = Date.now(),
): Promise<RateDecision> {
  const limit = deps.env.DELIVERY_RATE_LIMIT;
  if (limit === 0) return { allowed: true };
  const window = Math.floor(now / WINDOW_MS);
  const digest = createHash('sha256')
    .update(ip ?? 'unknown')
    .digest('hex')
    .slice(0, 32);
  const key = deps.namespace.key(`ratelimit:delivery:${digest}:${window}`);
  let count: number;
  try {
    const results = await withTimeout(
      deps.redis.multi().incr(key).pexpire(key, WINDOW_MS, 'NX').exec(),
      REDIS_TIMEOUT_MS,
      'delivery rate limit',
    );
    const [error, value] = results?.[0] ?? [new Error('no reply'), null];
    if (error) throw error;
    count = Number(value);
  } catch (error) {
    deps.logger.warn({ err: error }, 'delivery rate limiter unavailable; serving the request');
    return { allowed: true };
  }
  if (count <= limit) return { allowed: true };
  const retryAfterSeconds = Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - now) / 1000));
  if (count === limit + 1) deps.logger.info({ ipDigest: digest, limit }, 'delivery requests rate limited');
  return { allowed: false, retryAfterSeconds };
}
