import { expect, test } from 'vitest';
import { BULK_ACTION_LIMIT, LiveEvent, LoginInput, OrderEventsInput, RetryManyInput } from './api.ts';

test('login e-mails are trimmed and lower-cased; a non-e-mail is refused', () => {
  expect(LoginInput.parse({ email: '  Ops@Example.COM ', password: 'x' }).email).toBe('ops@example.com');
  expect(LoginInput.safeParse({ email: 'not an email', password: 'x' }).success).toBe(false);
  expect(LoginInput.safeParse({ email: 'a@b.co', password: '' }).success).toBe(false);
});

test('bulk retries are capped at BULK_ACTION_LIMIT ids', () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  expect(RetryManyInput.safeParse({ taskIds: ids(BULK_ACTION_LIMIT) }).success).toBe(true);
  expect(RetryManyInput.safeParse({ taskIds: ids(BULK_ACTION_LIMIT + 1) }).success).toBe(false);
  expect(RetryManyInput.safeParse({ taskIds: [] }).success).toBe(false);
});

test('a live batch holds updates only, never a snapshot or another batch', () => {
  const progress = {
    kind: 'task.progress',
    data: {
      taskId: 1,
      orderId: 2,
      percent: 50,
      currentFile: null,
      bytesDone: 1,
      bytesTotal: 2,
      speed: 0,
      etaSeconds: null,
      timestamp: 1,
    },
  };
  expect(LiveEvent.safeParse({ kind: 'batch', events: [progress, progress] }).success).toBe(true);
  const snapshot = {
    kind: 'snapshot',
    reason: 'subscribe',
    order: null,
    tasks: [],
    liveAvailable: true,
    at: 1,
  };
  expect(LiveEvent.safeParse(snapshot).success).toBe(true);
  expect(LiveEvent.safeParse({ kind: 'batch', events: [snapshot] }).success).toBe(false);
  expect(LiveEvent.safeParse({ kind: 'batch', events: [{ kind: 'batch', events: [] }] }).success).toBe(false);
});

test('subscription inputs accept the lastEventId a reconnecting client sends', () => {
  expect(OrderEventsInput.parse({ orderId: 3, lastEventId: 'abc-9' })).toEqual({
    orderId: 3,
    lastEventId: 'abc-9',
  });
  expect(OrderEventsInput.safeParse({ orderId: 0 }).success).toBe(false);
});
