import { Redis } from 'ioredis';
import { startCounterMeter } from './counter-meter.ts';

// Redis commands per webhook, from Redis's own counters (INFO commandstats): the rate limit, the
// live messages after commit, the outbox's BullMQ adds. Server-wide, so the rate they grow at
// while the server under test idles (its polls and leases) is taken off (counter-meter.ts).
// Commands, not round trips: a pipeline sends several in one, and the commands a Lua script runs
// (BullMQ's evalsha) are counted as well as the script.

/** The calls of every command so far, less the INFO calls of this reader before this one. */
function reader(redis: Redis): () => Promise<Map<string, number>> {
  let ownCalls = 0;
  return async () => {
    const text = await redis.info('commandstats');
    const counts = new Map<string, number>();
    // cmdstat_evalsha:calls=12,usec=340,...
    for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      counts.set(match[1]!, Number(match[2]));
    }
    // Redis counts a command once it has run: this call is not in its own reply.
    counts.set('info', (counts.get('info') ?? 0) - ownCalls);
    ownCalls += 1;
    return counts;
  };
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
  const meter = await startCounterMeter(reader(redis), idleMs);
  return {
    async stop(units) {
      const per = await meter.stop(units);
      await redis.quit();
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
