import { createHash } from 'node:crypto';
import type { AppDeps } from '../deps.ts';
import { AppError } from '../errors.ts';

/** Sign-in attempts allowed per window, per e-mail and per client address. */
export const LOGIN_LIMITS = {
  windowSeconds: 15 * 60,
  perEmail: 5,
  // An office behind one address holds several admins: the address gets more room than an e-mail.
  perIp: 20,
} as const;

function limiterKeys(deps: Pick<AppDeps, 'namespace'>, email: string, ip: string | null) {
  const ns = deps.namespace;
  const digest = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 32);
  return {
    email: ns.key(`ratelimit:login:email:${digest(email.toLowerCase())}`),
    ip: ip ? ns.key(`ratelimit:login:ip:${digest(ip)}`) : null,
  };
}

/**
 * Counts one sign-in attempt against the e-mail and the client address (in Redis, so every
 * server process shares the count) and refuses it past the limit. Counting happens before the
 * password check, so parallel guesses cannot slip under the limit. Fails closed: when Redis is
 * down, sign-in answers UNAVAILABLE rather than allowing unlimited guesses.
 */
export async function takeLoginAttempt(
  deps: Pick<AppDeps, 'env' | 'namespace' | 'redis' | 'logger'>,
  attempt: { email: string; ip: string | null },
): Promise<void> {
  const keys = limiterKeys(deps, attempt.email, attempt.ip);
  const multi = deps.redis.multi();
  for (const key of [keys.email, keys.ip]) {
    if (!key) continue;
    // SET NX EX starts the window on the first attempt; INCR counts within it.
    multi.set(key, 0, 'EX', LOGIN_LIMITS.windowSeconds, 'NX').incr(key);
  }
  let results: Array<[Error | null, unknown]> | null;
  try {
    results = await multi.exec();
  } catch (error) {
    deps.logger.warn({ err: error }, 'login rate limiter unavailable');
    throw new AppError('UNAVAILABLE', 'sign-in is unavailable right now; try again shortly', {
      cause: error,
    });
  }
  const counts = (results ?? []).filter((_, index) => index % 2 === 1).map(([, value]) => Number(value));
  const [emailCount = 0, ipCount = 0] = counts;
  if (emailCount > LOGIN_LIMITS.perEmail || ipCount > LOGIN_LIMITS.perIp) {
    deps.logger.info({ emailCount, ipCount }, 'sign-in rate limited');
    throw new AppError('RATE_LIMITED', 'too many sign-in attempts; wait a few minutes and try again');
  }
}

/** A successful sign-in clears its e-mail's count (the address keeps its own). */
export async function clearLoginAttempts(
  deps: Pick<AppDeps, 'env' | 'namespace' | 'redis' | 'logger'>,
  email: string,
): Promise<void> {
  try {
    await deps.redis.del(limiterKeys(deps, email, null).email);
  } catch (error) {
    deps.logger.warn({ err: error }, 'could not clear the sign-in count');
  }
}
