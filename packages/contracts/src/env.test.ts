import { expect, test } from 'vitest';
import { z } from 'zod';
import {
  EnvDatabaseUrl,
  EnvDurationSeconds,
  EnvList,
  EnvRedisClusterNodes,
  EnvRedisUrl,
  envErrors,
  parseDurationSeconds,
} from './env.ts';

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

test('durations are read as 30d, 12h, 15m, 90s or plain seconds; anything else is refused', () => {
  expect(parseDurationSeconds('30d')).toBe(30 * 86_400);
  expect(parseDurationSeconds('12h')).toBe(12 * 3600);
  expect(parseDurationSeconds('15m')).toBe(900);
  expect(parseDurationSeconds(' 90s ')).toBe(90);
  expect(parseDurationSeconds('3600')).toBe(3600);
  expect(parseDurationSeconds('2D')).toBe(2 * 86_400);
  for (const bad of ['', '0', '0d', '-1d', '1w', '1.5h', 'd', '30 days'])
    expect(parseDurationSeconds(bad)).toBeNull();
  const Ttl = z.object({ TTL: EnvDurationSeconds.default(60) });
  expect(Ttl.parse({})).toEqual({ TTL: 60 });
  expect(Ttl.parse({ TTL: '12h' })).toEqual({ TTL: 43_200 });
  const bad = Ttl.safeParse({ TTL: 'forever' });
  expect(bad.success).toBe(false);
  expect(envErrors(bad.error!)[0]).toMatch(/TTL: a positive duration/);
});

test('REDIS_CLUSTER_NODES is a host:port list; unset or empty means one Redis', () => {
  const Nodes = z.object({ REDIS_CLUSTER_NODES: EnvRedisClusterNodes });
  expect(Nodes.parse({}).REDIS_CLUSTER_NODES).toBeUndefined();
  expect(Nodes.parse({ REDIS_CLUSTER_NODES: ' , ' }).REDIS_CLUSTER_NODES).toBeUndefined();
  expect(
    Nodes.parse({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b:7001,[::1]:7002' }).REDIS_CLUSTER_NODES,
  ).toEqual([
    { host: '10.0.0.1', port: 7000 },
    { host: 'redis-b', port: 7001 },
    { host: '::1', port: 7002 },
  ]);
  for (const bad of ['10.0.0.1', 'a:0', 'a:70000', 'a:b', ':7000']) {
    const parsed = Nodes.safeParse({ REDIS_CLUSTER_NODES: `ok:7000,${bad}` });
    expect(parsed.success, bad).toBe(false);
    expect(envErrors(parsed.error!)).toEqual([
      'invalid environment variable REDIS_CLUSTER_NODES: item 2 is not host:port',
    ]);
  }
});
