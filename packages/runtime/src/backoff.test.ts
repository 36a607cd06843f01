import { expect, test } from 'vitest';
import { jitteredBackoffMs } from './backoff.ts';

test('the backoff doubles per attempt, with jitter between half and all of it', () => {
  for (const attempt of [1, 2, 3, 4]) {
    const ceiling = 200 * 2 ** (attempt - 1);
    const delays = Array.from({ length: 200 }, () => jitteredBackoffMs(attempt, 200));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(ceiling / 2);
    expect(Math.max(...delays)).toBeLessThanOrEqual(ceiling);
    // Jitter: the delays are spread, not all equal.
    expect(new Set(delays).size).toBeGreaterThan(10);
  }
});

test('the cap bounds the ceiling, and an attempt below 1 counts as the first', () => {
  const delays = Array.from({ length: 200 }, () => jitteredBackoffMs(30, 200, 5_000));
  expect(Math.max(...delays)).toBeLessThanOrEqual(5_000);
  expect(Math.min(...delays)).toBeGreaterThanOrEqual(2_500);
  expect(jitteredBackoffMs(0, 200)).toBeLessThanOrEqual(200);
});
