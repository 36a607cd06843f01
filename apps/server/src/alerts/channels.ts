import type { Logger } from '@paidflow/runtime';
import type { Notifier } from '../notify/notifier.ts';
import { alertMail, alertWebhookBody } from './messages.ts';
import type { AlertEvent } from './types.ts';

type Channel = 'email' | 'webhook';

interface Pending {
  event: AlertEvent;
  channel: Channel;
  attempts: number;
}

export interface AlertSender {
  /** Sends on every channel; a channel that fails is logged and tried again on later checks. */
  send(event: AlertEvent): Promise<void>;
  /** Tries again what failed (each message up to `attempts` times in all, then drops it, logged). */
  retry(): Promise<void>;
  /** Messages waiting for a retry. */
  pending(): number;
  /** Forgets the messages waiting for a retry (the lease moved away); how many there were. */
  drop(): number;
}

/**
 * The alert channels: e-mail to ADMIN_ALERT_EMAIL through the notifier (SMTP, or the log
 * notifier, bounded by the SMTP transport's own timeouts), and a POST of a Slack-compatible JSON
 * body to ALERT_WEBHOOK_URL within ALERT_WEBHOOK_TIMEOUT_MS. A failed channel never throws: it is logged and retried on the next check. The
 * retries live in this process's memory; a lease handover drops them (logged when it happens).
 */
export function createAlertSender(options: {
  notifier: Notifier;
  adminEmail: string | undefined;
  webhookUrl: string | undefined;
  timeoutMs: number;
  attempts: number;
  /** The dashboard's Alerts page (PUBLIC_BASE_URL is known once the server listens). */
  alertsUrl: () => string;
  logger: Logger;
}): AlertSender {
  const { logger } = options;
  let queue: Pending[] = [];
  const channels: Channel[] = [
    ...(options.adminEmail ? (['email'] as const) : []),
    ...(options.webhookUrl ? (['webhook'] as const) : []),
  ];
  if (channels.length === 0) logger.warn('alerts: no channel (set ADMIN_ALERT_EMAIL or ALERT_WEBHOOK_URL)');

  async function deliver(channel: Channel, event: AlertEvent): Promise<void> {
    if (channel === 'email') {
      // No deadline of ours: giving up waiting would not stop a send that still succeeds, and its
      // retry would e-mail twice. The SMTP transport's own timeouts end a stuck send (as an error).
      await options.notifier.send(alertMail(options.adminEmail!, event, options.alertsUrl()));
      return;
    }
    const response = await fetch(options.webhookUrl!, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alertWebhookBody(event, options.alertsUrl())),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    // Drain the body so the connection can be reused or closed.
    await response.arrayBuffer().catch(() => undefined);
    if (!response.ok) throw new Error(`the alert webhook answered ${response.status}`);
  }

  async function attempt(item: Pending): Promise<boolean> {
    item.attempts += 1;
    const { alert } = item.event;
    try {
      await deliver(item.channel, item.event);
      logger.info(
        { channel: item.channel, event: item.event.type, kind: alert.kind, subject: alert.subject },
        'alert sent',
      );
      return true;
    } catch (error) {
      const last = item.attempts >= options.attempts;
      logger.warn(
        {
          err: error,
          channel: item.channel,
          event: item.event.type,
          kind: alert.kind,
          subject: alert.subject,
          attempts: item.attempts,
        },
        last ? 'alert not sent; giving up on this message' : 'alert not sent; will retry on the next check',
      );
      return last;
    }
  }

  return {
    async send(event) {
      const results = await Promise.all(
        channels.map(async (channel) => {
          const item: Pending = { event, channel, attempts: 0 };
          return (await attempt(item)) ? null : item;
        }),
      );
      queue.push(...results.flatMap((item) => item ?? []));
    },
    async retry() {
      const due = queue;
      queue = [];
      for (const item of due) {
        if (!(await attempt(item))) queue.push(item);
      }
    },
    pending: () => queue.length,
    drop() {
      const dropped = queue.length;
      queue = [];
      return dropped;
    },
  };
}
