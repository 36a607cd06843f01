import { expect, test } from 'vitest';
import { formatChannel } from './channels.ts';
import { redisNamespace } from './namespace.ts';

test('an empty prefix gives the plain names of the convention', () => {
  for (const ns of [redisNamespace(), redisNamespace('')]) {
    expect(ns.prefix).toBe('');
    expect(ns.queuePrefix).toBe('{bull}');
    expect(ns.channel('task:1:progress')).toBe('task:1:progress');
    expect(ns.key('latest:task:1:progress')).toBe('latest:task:1:progress');
    expect(ns.unprefixChannel('task:1:progress')).toBe('task:1:progress');
  }
});

test("a prefix puts channels, keys and queues under 'prefix:'", () => {
  const ns = redisNamespace('p');
  expect(ns.prefix).toBe('p');
  expect(ns.channel(formatChannel('task', 1, 'progress'))).toBe('p:task:1:progress');
  expect(ns.channel('order:?*:*')).toBe('p:order:?*:*');
  expect(ns.key('workers:heartbeat:w1')).toBe('p:workers:heartbeat:w1');
  expect(ns.queuePrefix).toBe('p:{bull}');
});

test('unprefixChannel gives back the convention name of one of ours', () => {
  const ns = redisNamespace('test-3f2a');
  expect(ns.unprefixChannel(ns.channel('order:9:complete'))).toBe('order:9:complete');
});

test("unprefixChannel returns null for another namespace's channel", () => {
  const ns = redisNamespace('p');
  expect(ns.unprefixChannel('task:1:progress')).toBeNull();
  expect(ns.unprefixChannel('q:task:1:progress')).toBeNull();
  expect(ns.unprefixChannel('pp:task:1:progress')).toBeNull();
  expect(ns.unprefixChannel('p')).toBeNull();
});

test('a prefix with glob, separator or space characters throws', () => {
  for (const prefix of ['a:b', 'a*', 'a?', 'a[b]', 'a b', 'é', 'a\nb', 'a/b']) {
    expect(() => redisNamespace(prefix), JSON.stringify(prefix)).toThrow(/invalid Redis prefix/);
  }
});

test('a test-run prefix of a random UUID is accepted', () => {
  const prefix = `test-${crypto.randomUUID()}`;
  expect(redisNamespace(prefix).channel('task:1:status')).toBe(`${prefix}:task:1:status`);
});
