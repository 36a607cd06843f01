import nodemailer from 'nodemailer';
import {
  type AdminAlert,
  adminAlertMessage,
  type Notifier,
  type OrderNotice,
  orderCompletedMessage,
} from './notifier.ts';

export interface SmtpNotifierOptions {
  /** smtp://user:pass@host:port or smtps://...; credentials never reach a log line. */
  url: string;
  from: string;
  /** How long one delivery may take before it counts as failed (and is retried later). */
  timeoutMs?: number;
}

/** Sends the notifications by SMTP (nodemailer). A message the server refuses throws. */
export function createSmtpNotifier(options: SmtpNotifierOptions): Notifier {
  const timeout = options.timeoutMs ?? 15_000;
  const transport = nodemailer.createTransport(options.url, {
    from: options.from,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });
  return {
    kind: 'smtp',
    async sendOrderCompleted(notice: OrderNotice) {
      const { subject, text } = orderCompletedMessage(notice);
      await transport.sendMail({ to: notice.order.user_email, subject, text });
    },
    async sendAdminAlert(to: string, alert: AdminAlert) {
      const { subject, text } = adminAlertMessage(alert);
      await transport.sendMail({ to, subject, text, priority: 'high' });
    },
    async close() {
      transport.close();
    },
  };
}
