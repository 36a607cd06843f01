import type { AppDeps } from '../deps.ts';
import type { RateDecision } from '../limits/limiter.ts';

export type { RateDecision };

/**
 * The download page's limit per client address (DELIVERY_RATE_LIMIT a minute), in Redis, shared
 * by every server process. Fails open: when Redis is down the request is served and the outage
 * logged, because a customer's paid download matters more than a limit whose job is to slow token
 * guessing, and tokens are not guessable anyway.
 */
export function takeDeliveryRequest(deps: Pick<AppDeps, 'limits'>, ip: string | null): Promise<RateDecision> {
  return deps.limits.delivery.take(ip ?? 'unknown');
}
