import { expect, test } from 'vitest';
import { z } from 'zod';
import { EnvDatabaseUrl, EnvList, EnvRedisUrl, envErrors } from './env.ts';

const Schema = z.object({
  DATABASE_URL: EnvDatabaseUrl,
  REDIS_URL: EnvRedisUrl,
  SECRETS: EnvList.default([]),
});

test('defaults work on a developer machine, and lists are split and trimmed', () => {
  expect(Schema.parse({ SECRETS: ' a, b ,,c ' })).toEqual({
    DATABASE_URL: 'mysql://root@127.0.0.1:3306/paidflow',
    REDIS_URL: 'redis://127.0.0.1:6379',
    SECRETS: ['a', 'b', 'c'],
  });
});

test('every bad variable is named, and no value is echoed', () => {
  const parsed = Schema.safeParse({ DATABASE_URL: 'postgres://secret@x/db', REDIS_URL: 'http://secret' });
  expect(parsed.success).toBe(false);
  const lines = envErrors(parsed.error!);
  expect(lines).toEqual([
    'invalid environment variable DATABASE_URL: must be a mysql:// URL',
    'invalid environment variable REDIS_URL: must be a redis:// URL',
  ]);
  expect(lines.join('\n')).not.toContain('secret');
});
