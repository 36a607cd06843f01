import type { Route } from '../http.ts';
import { clientIpOf } from '../trpc/context.ts';
import type { RateLimit } from './limiter.ts';

/**
 * A route limited per client address (TRUST_PROXY: X-Forwarded-For's first hop, as everywhere):
 * the payment webhook's WEBHOOK_RATE_LIMIT_PER_IP. Past it, 429 with Retry-After: the provider
 * retries, so a signed payment is delayed, never dropped.
 */
export function limitedByAddress(route: Route, limit: RateLimit, trustProxy: boolean): Route {
  return { ...route, limit: (req) => limit.take(clientIpOf(req, trustProxy) ?? 'unknown') };
}
