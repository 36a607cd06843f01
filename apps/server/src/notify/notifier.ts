import type { ErrorType, OrderStatus, PipelineStep, TaskStatus } from '@paidflow/contracts';

/** What a customer's batch notification is built from: the order and every one of its tasks. */
export interface OrderNotice {
  order: { id: number; order_code: string; user_email: string; order_status: OrderStatus };
  tasks: Array<{ id: number; title: string; status: TaskStatus; drive_link: string | null }>;
}

/** A critical error an admin must hear about now (DISK_SPACE, AUTHENTICATION). */
export interface AdminAlert {
  orderId: number;
  orderCode: string;
  taskId: number;
  errorType: ErrorType;
  message: string;
  step: PipelineStep;
  attempt: number;
}

/**
 * Sends the notifications of the pipeline. Implementations throw when a message was not
 * accepted; the outbox drainer then retries it later.
 */
export interface Notifier {
  readonly kind: 'log' | 'smtp';
  /** One message per order, however many tasks it has. */
  sendOrderCompleted(notice: OrderNotice): Promise<void>;
  /** Sent to ADMIN_ALERT_EMAIL; the caller only asks when that address is set. */
  sendAdminAlert(to: string, alert: AdminAlert): Promise<void>;
  close(): Promise<void>;
}

/** The subject and text of an order's batch notification (shared by every implementation). */
export function orderCompletedMessage(notice: OrderNotice): { subject: string; text: string } {
  const { order, tasks } = notice;
  const done = tasks.filter((task) => task.status === 'completed').length;
  const subject =
    order.order_status === 'completed'
      ? `Your order ${order.order_code} is ready`
      : `Your order ${order.order_code} has finished: ${done} of ${tasks.length} courses delivered`;
  const lines = tasks.map((task) =>
    task.status === 'completed' && task.drive_link
      ? `- ${task.title}: ${task.drive_link}`
      : `- ${task.title}: ${task.status}; our team has been told and will contact you`,
  );
  const text = [`Hello,`, '', `Order ${order.order_code}:`, ...lines, '', '— Paidflow'].join('\n');
  return { subject, text };
}

export function adminAlertMessage(alert: AdminAlert): { subject: string; text: string } {
  return {
    subject: `[Paidflow] ${alert.errorType} on order ${alert.orderCode}, task ${alert.taskId}`,
    text: [
      `A critical error needs attention.`,
      '',
      `Order: ${alert.orderCode} (#${alert.orderId})`,
      `Task: #${alert.taskId}, step ${alert.step}, attempt ${alert.attempt}`,
      `Error: ${alert.errorType}: ${alert.message}`,
    ].join('\n'),
  };
}
