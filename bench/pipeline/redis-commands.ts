import { Redis } from 'ioredis';
import { sleep } from '../lib/wait.ts';

// Redis commands per webhook, from Redis's own counters (INFO commandstats): the rate limit, the
// live messages after commit, the outbox's BullMQ adds. Server-wide, so the rate they grow at
// while the server under test idles (its polls and leases) is measured first and taken off, as
// statements.ts does for MySQL. Commands, not round trips: a pipeline sends several in one, and
// the commands a Lua script runs (BullMQ's evalsha) are counted as well as the script.

type Counts = Map<string, number>;

async function read(redis: Redis): Promise<{ at: number; counts: Counts }> {
  const text = await redis.info('commandstats');
  const counts: Counts = new Map();
  // cmdstat_evalsha:calls=12,usec=340,...
  for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    counts.set(match[1]!, Number(match[2]));
  }
  return { at: Date.now(), counts };
}

export interface RedisCommandCounts {
  total: number;
  /** The twelve largest, per unit, largest first. */
  byCommand: Record<string, number>;
}

/** Measures the background rate for `idleMs`, then starts counting. */
export async function startRedisCommandMeter(
  redisUrl: string,
  idleMs = 2000,
): Promise<{ stop(units: number): Promise<RedisCommandCounts> }> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const idleStart = await read(redis);
  await sleep(idleMs);
  const start = await read(redis);
  const idleSeconds = Math.max(0.001, (start.at - idleStart.at) / 1000);
  return {
    async stop(units) {
      const end = await read(redis);
      await redis.quit();
      const seconds = (end.at - start.at) / 1000;
      const per = new Map<string, number>();
      for (const [name, calls] of end.counts) {
        // The meter's own INFO calls are the only ones it adds.
        const own = name === 'info' ? 1 : 0;
        const background =
          (((start.counts.get(name) ?? 0) - (idleStart.counts.get(name) ?? 0) - own) / idleSeconds) * seconds;
        const delta = calls - (start.counts.get(name) ?? 0) - own - background;
        per.set(name, delta / Math.max(1, units));
      }
      // The total of every command, a count below the idle rate included; each rounded after.
      const total = Math.round([...per.values()].reduce((sum, value) => sum + value, 0) * 10) / 10;
      const largest = [...per].sort((a, b) => b[1] - a[1]).slice(0, 12);
      return {
        total,
        byCommand: Object.fromEntries(largest.map(([name, value]) => [name, Math.round(value * 10) / 10])),
      };
    },
  };
}

/** "12.3 commands (evalsha 3, publish 5, ...)". */
export function redisCommandText(counts: RedisCommandCounts): string {
  const parts = Object.entries(counts.byCommand).map(([name, value]) => `${value} ${name}`);
  return `${counts.total} Redis commands (${parts.join(', ')})`;
}
