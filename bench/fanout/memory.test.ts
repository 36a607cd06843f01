import { expect, test } from 'vitest';
import { type MemoryReading, memoryPerConnection } from './memory.ts';

const MB = 1024 * 1024;
const reading = (mb: Partial<Record<keyof Omit<MemoryReading, 'spaces'>, number>>, spaces = {}) =>
  ({
    rss: (mb.rss ?? 0) * MB,
    heapUsed: (mb.heapUsed ?? 0) * MB,
    live: (mb.live ?? 0) * MB,
    rssCollected: (mb.rssCollected ?? 0) * MB,
    spaces,
  }) satisfies MemoryReading;

test('per connection: each figure against its own idle baseline, in KB', () => {
  const idle = reading(
    { rss: 100, heapUsed: 20, live: 20, rssCollected: 100 },
    { new_space: 2 * MB, old_space: 30 * MB, large_object_space: 1 * MB },
  );
  const connected = reading(
    { rss: 170, heapUsed: 60, live: 39, rssCollected: 125 },
    { new_space: 30 * MB, new_large_object_space: 1 * MB, old_space: 60 * MB, large_object_space: 9 * MB },
  );
  expect(memoryPerConnection(idle, connected, 1024)).toEqual({
    rssIdleMb: 100,
    rssPerConnectionKb: 70,
    heapPerConnectionKb: 40,
    liveHeapPerConnectionKb: 19,
    rssAfterGcPerConnectionKb: 25,
    youngGenPerConnectionKb: 29,
    oldGenPerConnectionKb: 38,
  });
});

test('a figure a peer could not read is null, not zero', () => {
  const idle = { ...reading({ rss: 100, live: 20 }), heapUsed: null };
  const connected = { ...reading({ rss: 110, heapUsed: 30, live: 21 }), rss: null };
  const figures = memoryPerConnection(idle, connected, 1000);
  expect(figures.heapPerConnectionKb).toBeNull();
  expect(figures.rssPerConnectionKb).toBeNull();
  expect(figures.liveHeapPerConnectionKb).toBe(1);
});
