import type { IncomingHttpHeaders } from 'node:http';
import { TRPCError } from '@trpc/server';
import { readCookie, SESSION_COOKIE } from '../auth/cookies.ts';
import { hashToken } from '../auth/session.ts';
import type { AppDeps } from '../deps.ts';
import { RateLimitError } from './errors.ts';
import { type RateDecision, refusal } from './limiter.ts';

const NOT_COUNTED: RateDecision = { allowed: true };

/**
 * The most calls one HTTP request may batch (tRPC's `maxBatchSize`: a larger batch is refused with
 * 400 BAD_REQUEST before createContext runs). The web app's httpBatchLink sends at most 20
 * (`maxItems` in apps/web/src/api/clients.ts), under this.
 */
export const TRPC_MAX_BATCH_SIZE = 50;

/**
 * Counts a tRPC request over HTTP, one point per call it carries (a batch `/trpc/a,b,c` costs 3),
 * against its client address and, when it carries a session cookie, against that session (the
 * token's hash: the key is known before MySQL is read, and a made-up cookie still meets the
 * address's limit). Past either, throws TOO_MANY_REQUESTS, which the HTTP handler answers 429
 * with Retry-After (rateLimitResponseMeta). The worker token's requests never come here: the
 * pipeline's calls are trusted and must not wait behind a browser's.
 */
export async function takeHttpCall(
  deps: Pick<AppDeps, 'limits'>,
  request: { ip: string | null; headers: IncomingHttpHeaders; calls: number },
): Promise<void> {
  const token = readCookie(request.headers, SESSION_COOKIE);
  const calls = Math.max(1, request.calls);
  const [byIp, bySession] = await Promise.all([
    deps.limits.trpcIp.take(request.ip ?? 'unknown', calls),
    token ? deps.limits.trpcSession.take(hashToken(token), calls) : NOT_COUNTED,
  ]);
  const wait = refusal(byIp, bySession);
  if (wait === null) return;
  const error = new RateLimitError(wait);
  // Thrown from createContext, past the procedures' error mapping: already a TRPCError.
  throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: error.message, cause: error });
}

/**
 * Counts one query or mutation an admin session makes over its WebSocket against the same
 * per-session budget as its HTTP calls (TRPC_RATE_LIMIT_PER_SESSION), once per call: nothing per
 * message of a stream. Past it, that call gets TOO_MANY_REQUESTS; the socket goes on.
 */
export async function takeSocketCall(deps: Pick<AppDeps, 'limits'>, tokenHash: string): Promise<void> {
  const decision = await deps.limits.trpcSession.take(tokenHash);
  if (!decision.allowed) throw new RateLimitError(decision.retryAfterSeconds);
}

/**
 * Counts one subscription started by an admin session (WS_SUBSCRIBE_RATE_LIMIT_PER_SESSION), at
 * subscribe time only: nothing per message. Past the limit that subscription gets
 * TOO_MANY_REQUESTS; the socket and its other subscriptions go on.
 */
export async function takeSubscription(deps: Pick<AppDeps, 'limits'>, tokenHash: string): Promise<void> {
  const decision = await deps.limits.wsSubscribe.take(tokenHash);
  if (!decision.allowed) {
    throw new RateLimitError(decision.retryAfterSeconds, 'too many subscriptions; wait a moment');
  }
}
