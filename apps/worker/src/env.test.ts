import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { DEV_WORKER_TOKEN, testEnv } from './env.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

test('defaults work on a developer machine', () => {
  const env = testEnv();
  expect(env).toMatchObject({
    REDIS_URL: 'redis://127.0.0.1:6379',
    SERVER_URL: 'http://127.0.0.1:3000',
    WORKER_TOKEN: DEV_WORKER_TOKEN,
    WORKER_CONCURRENCY: 4,
    STORAGE_DIR: path.join(ROOT, '.paidflow/storage'),
    DELIVERY_DESTINATION: 'local',
    DELIVERY_DIR: path.join(ROOT, '.paidflow/delivery'),
  });
});

test('the destination is chosen by DELIVERY_DESTINATION; an unknown one is refused by name', () => {
  expect(testEnv({ DELIVERY_DESTINATION: 'local' }).DELIVERY_DESTINATION).toBe('local');
  expect(() => testEnv({ DELIVERY_DESTINATION: 's3' })).toThrow(/DELIVERY_DESTINATION/);
});

test('relative directories are taken from the repo root, absolute ones as they are', () => {
  const env = testEnv({ STORAGE_DIR: 'data/storage', DELIVERY_DIR: '/srv/delivery' });
  expect(env.STORAGE_DIR).toBe(path.join(ROOT, 'data/storage'));
  expect(env.DELIVERY_DIR).toBe('/srv/delivery');
});

test('every bad variable is named', () => {
  const error = (() => {
    try {
      testEnv({ WORKER_CONCURRENCY: 'many', REDIS_URL: 'http://x', REDIS_PREFIX: 'a b' });
    } catch (e) {
      return e as Error;
    }
  })();
  expect(error?.message).toMatch(/WORKER_CONCURRENCY/);
  expect(error?.message).toMatch(/REDIS_URL/);
  expect(error?.message).toMatch(/REDIS_PREFIX/);
});

test('production refuses the development worker token', () => {
  expect(() => testEnv({ NODE_ENV: 'production' })).toThrow(/WORKER_TOKEN/);
  expect(testEnv({ NODE_ENV: 'production', WORKER_TOKEN: 'a-real-token-0123456789' }).NODE_ENV).toBe(
    'production',
  );
});

test('WORKER_TOKEN may be the server’s rotation list: the worker sends the first of it', () => {
  const env = testEnv({ WORKER_TOKEN: ' new-worker-token-0123456789 , old-worker-token-0123456789 ' });
  expect(env.WORKER_TOKEN).toBe('new-worker-token-0123456789');
  expect(testEnv({ WORKER_TOKEN: 'only-worker-token-0123456789' }).WORKER_TOKEN).toBe(
    'only-worker-token-0123456789',
  );
  expect(() => testEnv({ WORKER_TOKEN: 'short' })).toThrow(/WORKER_TOKEN/);
});
