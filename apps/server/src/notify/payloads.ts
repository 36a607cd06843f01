import { ErrorType, Id, PipelineStep } from '@paidflow/contracts';
import { z } from 'zod';

/** The payload of an outbox row of topic 'notification'. */
export const NotificationPayload = z.discriminatedUnion('kind', [
  /**
   * The customer's one batch notification, written by the transaction that completed the order;
   * `resentBy` when an operator asked for it again.
   */
  z.object({ kind: z.literal('order_completed'), orderId: Id, resentBy: z.string().max(255).optional() }),
  /** A critical error, written by the error bridge when ADMIN_ALERT_EMAIL is set. */
  z.object({
    kind: z.literal('admin_alert'),
    orderId: Id,
    taskId: Id,
    errorType: ErrorType,
    message: z.string().max(2000),
    step: PipelineStep,
    attempt: z.int().positive(),
  }),
  /** A transfer no order took whole (unmatched or underpaid): the admins look at the inbox. */
  z.object({
    kind: z.literal('payment_attention'),
    transactionId: Id,
    orderId: Id.optional(),
  }),
]);
export type NotificationPayload = z.infer<typeof NotificationPayload>;
export type NotificationOf<K extends NotificationPayload['kind']> = Extract<NotificationPayload, { kind: K }>;
