import type { Logger } from '@paidflow/runtime';
import type { Mail, Notifier } from './notifier.ts';

/** The default notifier: one log line per message, for development and when SMTP_URL is unset. */
export function createLogNotifier(logger: Logger): Notifier {
  return {
    kind: 'log',
    async send(mail: Mail) {
      const level = mail.priority === 'high' ? 'warn' : 'info';
      logger[level]({ to: mail.to, subject: mail.subject, text: mail.text }, 'notification (log notifier)');
    },
    async close() {},
  };
}
