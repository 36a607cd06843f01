import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanKeys } from './cluster-scan.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `test-scan-${randomUUID()}`;
let redis: Redis;

beforeAll(() => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  const keys: string[] = [];
  for await (const batch of scanKeys(redis, `${prefix}:*`)) keys.push(...batch);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('scanKeys on a single Redis', () => {
  it('yields every key that matches, and only those, across several SCAN pages', async () => {
    const wanted = Array.from({ length: 1234 }, (_, i) => `${prefix}:a:${i}`);
    const others = Array.from({ length: 50 }, (_, i) => `${prefix}:b:${i}`);
    const pipeline = redis.pipeline();
    for (const key of [...wanted, ...others]) pipeline.set(key, '1');
    await pipeline.exec();

    const seen = new Set<string>();
    let batches = 0;
    for await (const batch of scanKeys(redis, `${prefix}:a:*`, 100)) {
      batches++;
      for (const key of batch) seen.add(key);
    }
    expect([...seen].sort()).toEqual([...wanted].sort());
    expect(batches).toBeGreaterThan(1);
  });

  it('yields nothing for a pattern no key matches', async () => {
    const batches: string[][] = [];
    for await (const batch of scanKeys(redis, `${prefix}:none:*`)) batches.push(batch);
    expect(batches).toEqual([]);
  });
});
