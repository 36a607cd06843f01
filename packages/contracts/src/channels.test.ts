import { expect, test } from 'vitest';
import {
  CHANNEL_PATTERNS,
  CHANNEL_SCHEMAS,
  type ChannelScope,
  type ChannelType,
  encodeChannelMessage,
  formatChannel,
  LATEST_TTL_SECONDS,
  latestKey,
  parseChannel,
  parseChannelMessage,
  publishCommands,
} from './channels.ts';
import { redisNamespace } from './namespace.ts';
import { orderTaskPercentsKey, orderTaskRatesKey } from './order-percent.ts';
import type { TaskProgress } from './progress.ts';

const NOW = 1_700_000_000_000;

const taskProgress: TaskProgress = {
  taskId: 456,
  orderId: 123,
  phase: 'download',
  percent: 42.5,
  currentFile: 'lesson-03.mp4',
  bytesDone: 4_250_000,
  bytesTotal: 10_000_000,
  speed: 1_048_576,
  etaSeconds: 5.5,
  timestamp: NOW,
};

/** Every (scope, type) pair the convention knows, read off the schemas themselves. */
function allPairs(): Array<{ scope: ChannelScope; type: ChannelType }> {
  return Object.entries(CHANNEL_SCHEMAS).flatMap(([scope, types]) =>
    Object.keys(types).map((type) => ({ scope: scope as ChannelScope, type: type as ChannelType })),
  );
}

/**
 * Redis glob semantics (stringmatchlen), restricted to what our patterns use: `*` matches any
 * run of characters, including none; `?` matches exactly one character; anything else itself.
 */
function redisGlobMatch(pattern: string, text: string): boolean {
  if (pattern === '') return text === '';
  const [head, rest] = [pattern[0], pattern.slice(1)];
  if (head === '*') {
    for (let i = 0; i <= text.length; i++) if (redisGlobMatch(rest, text.slice(i))) return true;
    return false;
  }
  if (text === '') return false;
  if (head === '?' || head === text[0]) return redisGlobMatch(rest, text.slice(1));
  return false;
}

test('the glob matcher used below follows Redis semantics', () => {
  expect(redisGlobMatch('a*', 'a')).toBe(true);
  expect(redisGlobMatch('a?', 'a')).toBe(false);
  expect(redisGlobMatch('a?', 'ab')).toBe(true);
  expect(redisGlobMatch('a*c', 'abbbc')).toBe(true);
  expect(redisGlobMatch('a*c', 'abbbd')).toBe(false);
});

test('every channel formats and parses back to the same scope, id and type', () => {
  const pairs = allPairs();
  expect(pairs).toHaveLength(7);
  for (const { scope, type } of pairs) {
    for (const id of [1, 7, 456, Number.MAX_SAFE_INTEGER]) {
      const name = formatChannel(scope, id, type as never);
      expect(name).toBe(`${scope}:${id}:${type}`);
      expect(parseChannel(name)).toEqual({ scope, id, type });
    }
  }
});

test('formatChannel gives the documented name', () => {
  expect(formatChannel('task', 456, 'progress')).toBe('task:456:progress');
  expect(formatChannel('order', 123, 'complete')).toBe('order:123:complete');
});

test('parseChannel rejects every name off the convention', () => {
  const bad = [
    'progress:task:456',
    'task_456_progress',
    'order-123-progress',
    'task:abc:progress',
    'task:1:unknown',
    'task:0:progress',
    'task:01:progress',
    'task:-1:progress',
    'task:1.5:progress',
    'task:1:progress:extra',
    'x:task:1:progress',
    '',
    'task::progress',
    'task:1:',
    ':1:progress',
    'order:1:status ',
    ' order:1:status',
    'order:1:status\n',
    'TASK:1:progress',
    'task:1:PROGRESS',
    'task:1:complete',
    'user:1:progress',
    'constructor:1:progress',
    'task:1:constructor',
    'task:1:hasOwnProperty',
    'task:99999999999999999:progress',
    'task:9007199254740993:progress',
    'payment:1:progress',
    'payment:1:complete',
    'payment:0:status',
  ];
  for (const name of bad) expect(parseChannel(name), JSON.stringify(name)).toBeNull();
});

test('formatChannel refuses an id that is not a positive safe integer', () => {
  for (const id of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1]) {
    expect(() => formatChannel('task', id, 'progress'), String(id)).toThrow(RangeError);
  }
});

test('parseChannelMessage accepts a valid payload and returns it typed', () => {
  const result = parseChannelMessage('task:456:progress', JSON.stringify(taskProgress));
  expect(result).toEqual({
    ok: true,
    message: { channel: { scope: 'task', id: 456, type: 'progress' }, payload: taskProgress },
  });
});

test('parseChannelMessage checks an order channel against the order id', () => {
  const complete = { orderId: 123, totalTasks: 3, completedTasks: 2, failedTasks: 1, timestamp: NOW };
  expect(parseChannelMessage('order:123:complete', JSON.stringify(complete)).ok).toBe(true);
  const mismatch = parseChannelMessage('order:124:complete', JSON.stringify(complete));
  expect(mismatch).toMatchObject({ ok: false, reason: 'id_mismatch' });
});

test('parseChannelMessage says bad_json for garbage', () => {
  for (const raw of ['not json', '{"taskId":', '', 'undefined']) {
    const result = parseChannelMessage('task:456:progress', raw);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toBe('bad_json');
      expect(result.detail).not.toBe('');
    }
  }
});

test('parseChannelMessage says bad_payload for valid JSON that breaks the schema, naming the field', () => {
  const result = parseChannelMessage('task:456:progress', JSON.stringify({ ...taskProgress, percent: 101 }));
  expect(result).toMatchObject({ ok: false, reason: 'bad_payload' });
  if (!result.ok) expect(result.detail).toContain('percent');
  for (const raw of ['null', '42', '"task"', '[]', '{}']) {
    expect(parseChannelMessage('task:456:progress', raw)).toMatchObject({ ok: false, reason: 'bad_payload' });
  }
  // A progress payload on a status channel is the wrong shape too.
  expect(parseChannelMessage('task:456:status', JSON.stringify(taskProgress))).toMatchObject({
    ok: false,
    reason: 'bad_payload',
  });
});

test("parseChannelMessage says id_mismatch when the payload's id is not the channel's", () => {
  const result = parseChannelMessage('task:457:progress', JSON.stringify(taskProgress));
  expect(result).toMatchObject({ ok: false, reason: 'id_mismatch' });
  if (!result.ok) expect(result.detail).toContain('457');
  // On a task channel the order id does not count.
  expect(parseChannelMessage('task:123:progress', JSON.stringify(taskProgress))).toMatchObject({
    ok: false,
    reason: 'id_mismatch',
  });
});

test('parseChannelMessage says bad_channel before looking at the payload', () => {
  expect(parseChannelMessage('task_456_progress', JSON.stringify(taskProgress))).toMatchObject({
    ok: false,
    reason: 'bad_channel',
  });
  expect(parseChannelMessage('task:456:nope', 'not json')).toMatchObject({
    ok: false,
    reason: 'bad_channel',
  });
});

test('encodeChannelMessage gives the channel and JSON that parse back to the same message', () => {
  const [channel, json] = encodeChannelMessage('task', 456, 'progress', taskProgress);
  expect(channel).toBe('task:456:progress');
  expect(JSON.parse(json)).toEqual(taskProgress);
  expect(parseChannelMessage(channel, json)).toEqual({
    ok: true,
    message: { channel: { scope: 'task', id: 456, type: 'progress' }, payload: taskProgress },
  });
});

test('encodeChannelMessage drops fields the schema does not know', () => {
  const extra = { ...taskProgress, secret: 'do not publish' } as TaskProgress;
  const [, json] = encodeChannelMessage('task', 456, 'progress', extra);
  expect(JSON.parse(json)).not.toHaveProperty('secret');
});

test('encodeChannelMessage throws on an invalid payload instead of publishing it', () => {
  expect(() => encodeChannelMessage('task', 456, 'progress', { ...taskProgress, percent: 101 })).toThrow();
  expect(() => encodeChannelMessage('task', 456, 'progress', { ...taskProgress, bytesDone: -1 })).toThrow();
  expect(() => encodeChannelMessage('task', 0, 'progress', taskProgress)).toThrow(RangeError);
});

test('publishCommands sets the latest value for an hour, then publishes, both in the namespace', () => {
  const ns = redisNamespace('p');
  const commands = publishCommands('task:456:progress', '{"a":1}', ns, 123);
  expect(LATEST_TTL_SECONDS).toBe(3600);
  expect(commands).toEqual([
    ['set', 'p:latest:{o:123}:task:456:progress', '{"a":1}', 'EX', 3600],
    ['publish', 'p:task:456:progress', '{"a":1}'],
  ]);
});

test('publishCommands without a prefix uses the plain names', () => {
  expect(publishCommands('order:9:complete', '{}', redisNamespace(), 9)).toEqual([
    ['set', 'latest:{o:9}:order:9:complete', '{}', 'EX', 3600],
    ['publish', 'order:9:complete', '{}'],
  ]);
  expect(latestKey('payment:4:status', null)).toBe('latest:payment:4:status');
});

test("an order's keys and its tasks' latest values share one hash tag (one Redis Cluster slot)", () => {
  const tagOf = (key: string) => /\{([^}]+)\}/.exec(key)?.[1];
  const keys = [
    latestKey('order:7:progress', 7),
    latestKey('task:70:progress', 7),
    latestKey('task:71:status', 7),
    orderTaskPercentsKey(7),
    orderTaskRatesKey(7),
  ];
  expect(new Set(keys.map(tagOf))).toEqual(new Set(['o:7']));
  expect(tagOf(orderTaskPercentsKey(8))).toBe('o:8');
});

test('the psubscribe patterns are few and fixed', () => {
  expect(CHANNEL_PATTERNS).toEqual([
    'task:?*:progress',
    'task:?*:status',
    'order:?*:*',
    'payment:?*:status',
    'alert:?*:status',
  ]);
});

test('the psubscribe patterns catch every channel the convention formats', () => {
  for (const { scope, type } of allPairs()) {
    const name = formatChannel(scope, 7, type as never);
    const matching = CHANNEL_PATTERNS.filter((pattern) => redisGlobMatch(pattern, name));
    expect(matching, name).toHaveLength(1);
  }
});

test("'task:?*:progress' matches 'task:7:progress' but not an empty id", () => {
  expect(redisGlobMatch('task:?*:progress', 'task:7:progress')).toBe(true);
  expect(redisGlobMatch('task:?*:progress', 'task:123456:progress')).toBe(true);
  expect(redisGlobMatch('task:?*:progress', 'task::progress')).toBe(false);
  expect(redisGlobMatch('task:?*:progress', 'task:7:status')).toBe(false);
  expect(redisGlobMatch('order:?*:*', 'order::progress')).toBe(false);
  expect(redisGlobMatch('order:?*:*', 'task:7:progress')).toBe(false);
});

test('what the patterns catch beyond the convention, parseChannel rejects', () => {
  const caught = [
    'task:abc:progress',
    'task:1:2:progress',
    'order:1:unknown',
    'order:0:status',
    'payment:x:status',
  ];
  for (const name of caught) {
    expect(
      CHANNEL_PATTERNS.some((pattern) => redisGlobMatch(pattern, name)),
      name,
    ).toBe(true);
    expect(parseChannel(name), name).toBeNull();
  }
});

test('prefixed patterns catch only the prefixed channels', () => {
  const ns = redisNamespace('run1');
  const pattern = ns.channel('task:?*:progress');
  expect(redisGlobMatch(pattern, 'run1:task:7:progress')).toBe(true);
  expect(redisGlobMatch(pattern, 'task:7:progress')).toBe(false);
  expect(redisGlobMatch(pattern, 'run2:task:7:progress')).toBe(false);
});

test("a payment channel carries a transaction's status, checked against the transaction id", () => {
  const event = {
    transactionId: 31,
    orderId: null,
    previousStatus: null,
    status: 'unmatched' as const,
    amount: 150_000,
    timestamp: NOW,
  };
  const [channel, json] = encodeChannelMessage('payment', 31, 'status', event);
  expect(channel).toBe('payment:31:status');
  expect(parseChannelMessage(channel, json)).toEqual({
    ok: true,
    message: { channel: { scope: 'payment', id: 31, type: 'status' }, payload: event },
  });
  // The order id (when matched) is not the channel's id.
  const matched = JSON.stringify({ ...event, orderId: 32, status: 'applied' });
  expect(parseChannelMessage('payment:32:status', matched)).toMatchObject({
    ok: false,
    reason: 'id_mismatch',
  });
  expect(
    parseChannelMessage('payment:31:status', JSON.stringify({ ...event, status: 'paid' })),
  ).toMatchObject({
    ok: false,
    reason: 'bad_payload',
  });
});
