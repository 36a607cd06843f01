import type { Logger } from '@paidflow/runtime';
import {
  type AdminAlert,
  adminAlertMessage,
  type Notifier,
  type OrderNotice,
  orderCompletedMessage,
} from './notifier.ts';

/** The default notifier: one log line per message, for development and when SMTP_URL is unset. */
export function createLogNotifier(logger: Logger): Notifier {
  return {
    kind: 'log',
    async sendOrderCompleted(notice: OrderNotice) {
      const { subject } = orderCompletedMessage(notice);
      logger.info(
        { orderId: notice.order.id, to: notice.order.user_email, subject, tasks: notice.tasks.length },
        'notification (log notifier): order completed',
      );
    },
    async sendAdminAlert(to: string, alert: AdminAlert) {
      const { subject } = adminAlertMessage(alert);
      logger.warn({ to, subject, ...alert }, 'notification (log notifier): admin alert');
    },
    async close() {},
  };
}
