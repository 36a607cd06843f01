import { ErrorType, Id, PipelineStep } from '@paidflow/contracts';
import { z } from 'zod';

/** The payload of an outbox row of topic 'notification'. */
export const NotificationPayload = z.discriminatedUnion('kind', [
  /** The customer's one batch notification, written by the transaction that completed the order. */
  z.object({ kind: z.literal('order_completed'), orderId: Id }),
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
]);
export type NotificationPayload = z.infer<typeof NotificationPayload>;
