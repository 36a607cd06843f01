import type { AppDeps } from '../deps.ts';
import { RateLimitError } from '../limits/errors.ts';
import { type RateDecision, refusal } from '../limits/limiter.ts';

const NO_ADDRESS: RateDecision = { allowed: true };

/**
 * Counts one sign-in attempt against the e-mail (LOGIN_RATE_LIMIT_PER_EMAIL) and the client
 * address (LOGIN_RATE_LIMIT_PER_IP, more room: an office behind one address holds several
 * admins), per 15 minutes, in Redis so every server process shares the count, and refuses it past
 * either limit with RATE_LIMITED and its Retry-After. Counting happens before the password check,
 * so parallel guesses cannot slip under the limit. Fails closed: when Redis is down, sign-in
 * answers UNAVAILABLE rather than allowing unlimited guesses (limits/limits.ts).
 */
export async function takeLoginAttempt(
  deps: Pick<AppDeps, 'limits' | 'logger'>,
  attempt: { email: string; ip: string | null },
): Promise<void> {
  const [byEmail, byIp] = await Promise.all([
    deps.limits.loginEmail.take(attempt.email.toLowerCase()),
    attempt.ip ? deps.limits.loginIp.take(attempt.ip) : NO_ADDRESS,
  ]);
  const wait = refusal(byEmail, byIp);
  if (wait === null) return;
  deps.logger.info({ byEmail: !byEmail.allowed, byIp: !byIp.allowed }, 'sign-in rate limited');
  throw new RateLimitError(wait, 'too many sign-in attempts; wait a few minutes and try again');
}

/** A successful sign-in clears its e-mail's count (the address keeps its own). */
export async function clearLoginAttempts(deps: Pick<AppDeps, 'limits'>, email: string): Promise<void> {
  await deps.limits.loginEmail.clear(email.toLowerCase());
}
