import { expect, test } from 'vitest';
import { applyOutcomes } from './lifecycle.ts';
import { alertWebhookBody, formatDuration } from './messages.ts';
import type { AlertStore } from './store.ts';
import type { Finding, TrackedAlert } from './types.ts';

/** The lifecycle's rules alone, over a store that keeps alerts in a map (the real ones are tested in *.int.test.ts). */
function memoryStore() {
  const open = new Map<string, TrackedAlert>();
  let id = 0;
  const store: AlertStore = {
    async open() {
      return [...open.values()];
    },
    async raise(finding, at) {
      const alert = {
        ...finding,
        id: ++id,
        raisedAt: at,
        lastSeenAt: at,
        lastNotifiedAt: null,
        reminders: 0,
        resolvedAt: null,
      };
      open.set(`${finding.kind}:${finding.subject}`, alert);
      return { ...alert };
    },
    async touch() {},
    async notified(alert) {
      open.set(`${alert.kind}:${alert.subject}`, { ...alert });
    },
    async remind(alert, previous) {
      const key = `${alert.kind}:${alert.subject}`;
      if (open.get(key)?.lastNotifiedAt?.getTime() !== previous?.getTime()) return false;
      open.set(key, { ...alert });
      return true;
    },
    async resolve(alert) {
      return open.delete(`${alert.kind}:${alert.subject}`);
    },
  };
  return { store, open };
}

const backlog: Finding = {
  kind: 'queue_backlog',
  subject: 'downloads',
  severity: 'warning',
  message: '900 jobs wait',
  details: { waiting: 900 },
};

const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds));

test('raised once, reminded after the interval, resolved when the condition clears', async () => {
  const { store } = memoryStore();
  const run = (seconds: number, firing: Finding[]) =>
    applyOutcomes({
      store,
      outcomes: [{ kinds: ['queue_backlog'], firing }],
      now: at(seconds),
      remindMs: 60_000,
    });
  expect((await run(0, [backlog])).map((event) => event.type)).toEqual(['raised']);
  expect(await run(30, [backlog])).toEqual([]);
  const reminder = await run(60, [backlog]);
  expect(reminder.map((event) => [event.type, event.alert.reminders])).toEqual([['reminder', 1]]);
  expect(await run(90, [backlog])).toEqual([]);
  const resolved = await run(100, []);
  expect(resolved.map((event) => event.type)).toEqual(['resolved']);
  expect(resolved[0]!.alert.resolvedAt).toEqual(at(100));
  expect(await run(110, [])).toEqual([]);
});

test('an alert whose check could not run, or that its check keeps open, is not resolved', async () => {
  const { store } = memoryStore();
  await applyOutcomes({
    store,
    outcomes: [{ kinds: ['queue_backlog'], firing: [backlog] }],
    now: at(0),
    remindMs: 60_000,
  });
  // The queue check failed (Redis down): its kind was not evaluated.
  expect(
    await applyOutcomes({
      store,
      outcomes: [{ kinds: ['outbox_stuck'], firing: [] }],
      now: at(5),
      remindMs: 60_000,
    }),
  ).toEqual([]);
  // Evaluated, not firing, but kept (its state is unknown).
  const kept = await applyOutcomes({
    store,
    outcomes: [{ kinds: ['queue_backlog'], firing: [], keep: ['queue_backlog:downloads'] }],
    now: at(10),
    remindMs: 60_000,
  });
  expect(kept).toEqual([]);
  expect(await store.open()).toHaveLength(1);
});

test('the same finding twice in one round raises one alert', async () => {
  const { store } = memoryStore();
  const events = await applyOutcomes({
    store,
    outcomes: [{ kinds: ['queue_backlog'], firing: [backlog, backlog] }],
    now: at(0),
    remindMs: 60_000,
  });
  expect(events).toHaveLength(1);
});

test('the webhook body is Slack-shaped (text and attachments) and carries the alert for other receivers', () => {
  const alert: TrackedAlert = {
    ...backlog,
    id: 7,
    raisedAt: at(0),
    lastSeenAt: at(0),
    lastNotifiedAt: at(0),
    reminders: 0,
    resolvedAt: null,
  };
  const body = alertWebhookBody({ type: 'raised', alert, at: at(0) }, 'https://ops.example/alerts');
  expect(body.text).toBe('[Paidflow] WARNING: 900 jobs wait');
  expect(body.attachments[0]).toMatchObject({
    title: 'queue_backlog · downloads',
    title_link: 'https://ops.example/alerts',
  });
  expect(body.attachments[0]!.text).toContain('waiting: 900');
  expect(body.alert).toMatchObject({ event: 'raised', id: 7, kind: 'queue_backlog', resolvedAt: null });
  expect(JSON.parse(JSON.stringify(body))).toEqual(body);
});

test('durations read in the largest units that matter', () => {
  expect(formatDuration(12_400)).toBe('12s');
  expect(formatDuration(190_000)).toBe('3m 10s');
  expect(formatDuration(7_500_000)).toBe('2h 5m');
  expect(formatDuration(-5)).toBe('0s');
});
