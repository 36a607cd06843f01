import { expect, test } from 'vitest';
import { BASE_BACKOFF_MS, backoffStrategy } from './backoff.ts';

test('the custom backoff doubles per attempt, with jitter between half and all of it', () => {
  for (const attempt of [1, 2, 3]) {
    const ceiling = BASE_BACKOFF_MS * 2 ** (attempt - 1);
    const delays = Array.from({ length: 200 }, () => backoffStrategy(attempt));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(ceiling / 2);
    expect(Math.max(...delays)).toBeLessThanOrEqual(ceiling);
    // Jitter: the delays are spread, not all equal.
    expect(new Set(delays).size).toBeGreaterThan(10);
  }
});
