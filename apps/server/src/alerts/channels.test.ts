import { createLogger } from '@paidflow/runtime';
import { expect, test } from 'vitest';
import type { Mail, Notifier } from '../notify/notifier.ts';
import { createAlertSender } from './channels.ts';
import type { AlertEvent } from './types.ts';

/** A notifier whose sends take `delayMs`, then succeed or throw. */
function slowNotifier(delayMs: number, fail = false) {
  const sent: Mail[] = [];
  const notifier: Notifier = {
    kind: 'smtp',
    async send(mail) {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (fail) throw new Error('SMTP said no');
      sent.push(mail);
    },
    async close() {},
  };
  return { notifier, sent };
}

const event: AlertEvent = {
  type: 'raised',
  at: new Date(),
  alert: {
    id: 1,
    kind: 'queue_backlog',
    subject: 'downloads',
    severity: 'warning',
    message: 'backlog',
    details: {},
    raisedAt: new Date(),
    lastSeenAt: new Date(),
    lastNotifiedAt: null,
    reminders: 0,
    resolvedAt: null,
  },
};

function sender(notifier: Notifier) {
  return createAlertSender({
    notifier,
    adminEmail: 'ops@example.com',
    webhookUrl: undefined,
    timeoutMs: 100,
    attempts: 3,
    alertsUrl: () => 'http://127.0.0.1/alerts',
    logger: createLogger('silent'),
  });
}

test('an e-mail slower than the webhook deadline that succeeds is sent once, not retried', async () => {
  const { notifier, sent } = slowNotifier(300);
  const s = sender(notifier);
  await s.send(event);
  expect(s.pending()).toBe(0);
  await s.retry();
  expect(sent).toHaveLength(1);
});

test('an e-mail that fails is retried on the next check, up to the attempts, and dropped on a lost lease', async () => {
  const { notifier } = slowNotifier(1, true);
  const s = sender(notifier);
  await s.send(event);
  expect(s.pending()).toBe(1);
  await s.retry();
  expect(s.pending()).toBe(1);
  await s.retry();
  expect(s.pending()).toBe(0);
  await s.send(event);
  expect(s.drop()).toBe(1);
  expect(s.pending()).toBe(0);
});
