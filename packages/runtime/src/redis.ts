import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.ts';

/**
 * A Redis connection that never crashes the process: it logs once per outage (not once per retry) and says when it is back, while
 * ioredis reconnects. By default commands fail fast while Redis is down (no offline queue), so
 * callers can answer 503, fall back or skip, instead of hanging; a subscriber that must wait for
 * the connection passes `enableOfflineQueue: true`.
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
