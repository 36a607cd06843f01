import { z } from 'zod';
import { Cursor, Id, keysetPage } from './common.ts';
import { ORDER_PRIORITIES, ORDER_STATUSES, PAYMENT_STATUSES } from './constants.ts';
import { orderPercent } from './order-percent.ts';
import { DownloadTask } from './tasks.ts';

export const PaymentStatus = z.enum(PAYMENT_STATUSES);
export type PaymentStatus = z.infer<typeof PaymentStatus>;

export const OrderStatus = z.enum(ORDER_STATUSES);
export type OrderStatus = z.infer<typeof OrderStatus>;

export const OrderPriority = z.enum(ORDER_PRIORITIES);
export type OrderPriority = z.infer<typeof OrderPriority>;

/** The payment code a customer writes in the transfer: DH followed by digits. */
export const OrderCode = z.string().regex(/^DH\d{6,12}$/, 'order code looks like DH123456');
/**
 * An order code inside free transfer text. Banks glue words to it ("DH123456chuyen tien",
 * "MBVCB.123.DH123456.CT"), so it needs no word boundary after it, only no more digits.
 */
export const ORDER_CODE_IN_TEXT = /(?<![A-Z0-9])DH\d{6,12}(?!\d)/i;

export const Order = z.object({
  id: Id,
  order_code: OrderCode,
  user_email: z.email().max(255),
  payment_status: PaymentStatus,
  order_status: OrderStatus,
  total_amount: z.number().nonnegative(),
  currency: z.string().length(3),
  priority: OrderPriority,
  created_at: z.date(),
  paid_at: z.date().nullable(),
  completed_at: z.date().nullable(),
});
export type Order = z.infer<typeof Order>;

export const OrderStats = z.object({
  totalTasks: z.int().nonnegative(),
  completedTasks: z.int().nonnegative(),
  failedTasks: z.int().nonnegative(),
  activeTasks: z.int().nonnegative(),
  /** Ended tasks (completed or failed or cancelled) out of all, 0..100. */
  progressPercentage: z.int().min(0).max(100),
});
export type OrderStats = z.infer<typeof OrderStats>;

/** One row of the paid orders list. */
export const OrderSummary = Order.extend({ stats: OrderStats });
export type OrderSummary = z.infer<typeof OrderSummary>;

export const ListPaidOrdersInput = z.object({
  status: OrderStatus.optional(),
  priority: OrderPriority.optional(),
  /** An order code (or its prefix) or a customer's email (or its prefix). */
  search: z.string().trim().min(1).max(255).optional(),
  limit: z.int().min(1).max(100).default(20),
  cursor: Cursor.optional(),
});
export type ListPaidOrdersInput = z.input<typeof ListPaidOrdersInput>;

/** An operator changes an order's priority (its waiting tasks move in the queue too). */
export const SetOrderPriorityInput = z.object({ orderId: Id, priority: OrderPriority });
export type SetOrderPriorityInput = z.infer<typeof SetOrderPriorityInput>;

export const PaidOrdersPage = keysetPage(OrderSummary);
export type PaidOrdersPage = z.infer<typeof PaidOrdersPage>;

export const OrderDetail = OrderSummary.extend({ tasks: z.array(DownloadTask) });
export type OrderDetail = z.infer<typeof OrderDetail>;

/** Derives the list's stats from the counters kept on the order row. */
export function orderStats(counters: {
  total_tasks: number;
  completed_tasks: number;
  failed_tasks: number;
  active_tasks: number;
  cancelled_tasks: number;
}): OrderStats {
  const endedTasks = counters.completed_tasks + counters.failed_tasks + counters.cancelled_tasks;
  return {
    totalTasks: counters.total_tasks,
    completedTasks: counters.completed_tasks,
    failedTasks: counters.failed_tasks,
    activeTasks: counters.active_tasks,
    // The list's whole-number percent: the share of ended tasks (no task percents in MySQL).
    progressPercentage: Math.round(orderPercent({ totalTasks: counters.total_tasks, endedTasks })),
  };
}
