import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.ts';

/**
 * A Redis connection that never crashes the process: errors are logged (once per outage) and
 * ioredis reconnects. By default commands fail fast while Redis is down, so that progress and
 * heartbeats are skipped rather than queued up.
 */
export function createRedis(url: string, logger: Logger, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 5_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    ...options,
  });
  let down = false;
  redis.on('error', (error) => {
    if (down) return;
    down = true;
    logger.warn({ err: error, connection: options.connectionName }, 'redis connection error; reconnecting');
  });
  redis.on('ready', () => {
    if (down) logger.info({ connection: options.connectionName }, 'redis connection restored');
    down = false;
  });
  return redis;
}

/**
 * Runs every cleanup step even when one fails or hangs (each gets `stepTimeoutMs`), logging what
 * failed (BullMQ's Worker.close).
 */
export async function runAll(
  logger: Logger,
  steps: Array<[string, () => Promise<unknown>]>,
  stepTimeoutMs = 10_000,
): Promise<void> {
  for (const [name, step] of steps) {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        step(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`${name} did not stop within ${stepTimeoutMs} ms`)),
            stepTimeoutMs,
          );
        }),
      ]);
    } catch (error) {
      logger.warn({ err: error, step: name }, 'shutdown step failed');
    } finally {
      clearTimeout(timer);
    }
  }
}
