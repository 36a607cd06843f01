import { expect, test } from 'vitest';
import { testEnv } from '../env.ts';
import { primaryWindowMs } from './env.ts';

test('without replica URLs the read handle has nothing to route, and the defaults are the documented ones', () => {
  const env = testEnv();
  expect(env.DATABASE_REPLICA_URLS).toEqual([]);
  expect(env.REPLICA_MAX_LAG_SECONDS).toBe(5);
  expect(primaryWindowMs(env)).toBe(5_000 + 2 * 1_000 + 1_000);
});

test('the primary window never falls under the lag bound plus two polls', () => {
  const env = testEnv({
    DATABASE_REPLICA_URLS: 'mysql://ro@r1:3306/paidflow, mysql://ro@r2:3306/paidflow',
    REPLICA_MAX_LAG_SECONDS: '10',
    REPLICA_PRIMARY_WINDOW_MS: '2000',
  });
  expect(env.DATABASE_REPLICA_URLS).toHaveLength(2);
  expect(primaryWindowMs(env)).toBe(13_000);
  expect(primaryWindowMs({ ...env, REPLICA_PRIMARY_WINDOW_MS: 60_000 })).toBe(60_000);
  expect(() => testEnv({ DATABASE_REPLICA_URLS: 'postgres://x/y' })).toThrow();
});
