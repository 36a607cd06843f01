import { createHash } from 'node:crypto';
import { type AdvisoryLock, tryAdvisoryLock } from '@paidflow/db';
import { withTimeout } from '@paidflow/runtime';
import type { AppDeps } from '../deps.ts';
import { createRedisLease } from '../services/redis-lease.ts';

/** The evaluator's lease in Redis: one server process evaluates at a time. */
export const LEASE_KEY = 'alerts:evaluator';

/**
 * How this process may evaluate now: `redis` (it holds the Redis lease), `mysql` (Redis does not
 * answer; it holds MySQL's named lock instead), `alone` (neither answers: every process
 * evaluates the two dependency alerts on its own), or null (another process holds the lease).
 */
export type Leadership = 'redis' | 'mysql' | 'alone' | null;

export interface EvaluatorLease {
  acquire(state: { redisUp: boolean; mysqlUp: boolean }): Promise<Leadership>;
  release(): Promise<void>;
}

export function createEvaluatorLease(
  deps: Pick<AppDeps, 'redis' | 'db' | 'namespace' | 'logger'>,
  options: { leaseMs: number; timeoutMs: number },
): EvaluatorLease {
  // Redis first (the shared lease module); MySQL's named lock only while Redis does not answer.
  const redisLease = createRedisLease(deps.redis, {
    key: deps.namespace.key(LEASE_KEY),
    ttlMs: options.leaseMs,
    timeoutMs: options.timeoutMs,
  });
  // GET_LOCK names are at most 64 characters: the prefix is hashed in.
  const lockName = `paidflow-alerts-${createHash('sha256').update(deps.namespace.prefix).digest('hex').slice(0, 32)}`;
  let lock: AdvisoryLock | null = null;
  let holdsRedis = false;

  async function dropLock(): Promise<void> {
    const held = lock;
    lock = null;
    await held?.release();
  }

  async function takeMysql(): Promise<boolean> {
    if (lock && (await lock.held())) return true;
    await dropLock();
    lock = await withTimeout(tryAdvisoryLock(deps.db, lockName), options.timeoutMs, 'alert lock');
    return lock !== null;
  }

  return {
    async acquire({ redisUp, mysqlUp }) {
      if (redisUp) {
        try {
          const mine = await redisLease.acquire();
          if (mine !== holdsRedis)
            deps.logger.info({ mine }, mine ? 'alerts: evaluating here' : 'alerts: lease held elsewhere');
          holdsRedis = mine;
          await dropLock();
          return mine ? 'redis' : null;
        } catch (error) {
          deps.logger.warn({ err: error }, 'alerts: lease not taken in Redis');
        }
      }
      holdsRedis = false;
      if (!mysqlUp) return 'alone';
      try {
        return (await takeMysql()) ? 'mysql' : null;
      } catch (error) {
        deps.logger.warn({ err: error }, 'alerts: lock not taken in MySQL either; evaluating alone');
        return 'alone';
      }
    },
    async release() {
      await dropLock();
      if (!holdsRedis) return;
      holdsRedis = false;
      await redisLease
        .release()
        .catch((error: unknown) => deps.logger.warn({ err: error }, 'alerts: lease not released; it lapses'));
    },
  };
}
