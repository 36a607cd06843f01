import { z } from 'zod';
import { Cursor, EpochMs, Id, keysetPage } from './common.ts';
import { PAYMENT_TRANSACTION_STATUSES } from './constants.ts';
import { OrderCode, OrderStatus, PaymentStatus } from './orders.ts';

// The payments inbox (decision 045): every transfer the provider sent, what became of it, and
// the operator's actions on the ones no order took whole.

export const PaymentTransactionStatus = z.enum(PAYMENT_TRANSACTION_STATUSES);
export type PaymentTransactionStatus = z.infer<typeof PaymentTransactionStatus>;

/** The inbox's outcome filter: one status, or `attention` (unmatched and underpaid together). */
export const PaymentOutcomeFilter = z.union([z.literal('attention'), PaymentTransactionStatus]);
export type PaymentOutcomeFilter = z.infer<typeof PaymentOutcomeFilter>;

/** Free text of the inbox's search and of an operator's note. */
const Text = (max: number) => z.string().trim().min(1).max(max);

export const ListPaymentsInput = z
  .object({
    outcome: PaymentOutcomeFilter.optional(),
    /**
     * A reference code (or its start), an order code (or its start), an amount ("500000",
     * "500.000") or words of the transfer's content.
     */
    search: Text(255).optional(),
    /** Received at or after this instant. */
    from: z.date().optional(),
    /** Received before this instant. */
    to: z.date().optional(),
    limit: z.int().min(1).max(100).default(25),
    cursor: Cursor.optional(),
  })
  .refine((input) => !input.from || !input.to || input.from <= input.to, {
    message: 'the date range ends before it starts',
    path: ['to'],
  });
export type ListPaymentsInput = z.input<typeof ListPaymentsInput>;

/** The order a transaction was matched to, as the inbox shows it. */
export const PaymentOrder = z.object({
  id: Id,
  code: z.string(),
  totalAmount: z.number().nonnegative(),
  paymentStatus: PaymentStatus,
  orderStatus: OrderStatus,
});
export type PaymentOrder = z.infer<typeof PaymentOrder>;

/** One row of the inbox. */
export const PaymentTransactionView = z.object({
  id: Id,
  provider: z.string(),
  providerTransactionId: z.string(),
  status: PaymentTransactionStatus,
  /** Why it has that status ("no order with code DH123456", "amount 100000 < total 500000"). */
  reason: z.string().nullable(),
  amount: z.number().nonnegative(),
  transferType: z.string(),
  gateway: z.string().nullable(),
  referenceCode: z.string().nullable(),
  content: z.string().nullable(),
  receivedAt: z.date(),
  processedAt: z.date().nullable(),
  order: PaymentOrder.nullable(),
  /** The operator who matched, refunded or ignored it (e-mail), when, and their note. */
  resolvedBy: z.string().nullable(),
  resolvedAt: z.date().nullable(),
  note: z.string().nullable(),
});
export type PaymentTransactionView = z.infer<typeof PaymentTransactionView>;

export const PaymentsPage = keysetPage(PaymentTransactionView);
export type PaymentsPage = z.infer<typeof PaymentsPage>;

/** How many transactions need an operator: money arrived and no order took it whole. */
export const PaymentAttention = z.object({
  total: z.int().nonnegative(),
  unmatched: z.int().nonnegative(),
  underpaid: z.int().nonnegative(),
});
export type PaymentAttention = z.infer<typeof PaymentAttention>;

/** Order codes as customers type them: any case, spaces around. */
const TypedOrderCode = z.preprocess(
  (value) => (typeof value === 'string' ? value.trim().toUpperCase() : value),
  OrderCode,
);

export const MatchPaymentInput = z.object({
  transactionId: Id,
  orderCode: TypedOrderCode,
  note: Text(1000).optional(),
});
export type MatchPaymentInput = z.input<typeof MatchPaymentInput>;

export const PAYMENT_RESOLUTIONS = ['refunded', 'ignored'] as const;
export const PaymentResolution = z.enum(PAYMENT_RESOLUTIONS);
export type PaymentResolution = z.infer<typeof PaymentResolution>;

export const ResolvePaymentInput = z.object({
  transactionId: Id,
  resolution: PaymentResolution,
  /** Why: the refund's reference, or what the transfer was. Required. */
  note: Text(1000),
});
export type ResolvePaymentInput = z.input<typeof ResolvePaymentInput>;

/** What an operator's action did to the transaction and, for a match, to its order. */
export const PaymentActionResult = z.object({
  transactionId: Id,
  status: PaymentTransactionStatus,
  orderId: Id.nullable(),
  /** A match: the order is now paid (and its tasks queued). */
  orderPaid: z.boolean(),
  /** A match: what the order's matched transfers add up to, and its total. */
  paid: z.number().nonnegative().nullable(),
  total: z.number().nonnegative().nullable(),
});
export type PaymentActionResult = z.infer<typeof PaymentActionResult>;

/** payment:{id}:status — a transaction was stored and settled, or settled again by an operator. */
export const PaymentStatusEvent = z.object({
  transactionId: Id,
  orderId: Id.nullable(),
  previousStatus: PaymentTransactionStatus.nullable(),
  status: PaymentTransactionStatus,
  amount: z.number().nonnegative(),
  timestamp: EpochMs,
});
export type PaymentStatusEvent = z.infer<typeof PaymentStatusEvent>;

/**
 * What payments.live yields: `ready` first (and after a reconnect: refetch what you show),
 * `resync` when events may have been missed (refetch), then each payment status change.
 */
export const PaymentLiveEvent = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('ready') }),
  z.object({ kind: z.literal('resync') }),
  z.object({ kind: z.literal('payment.status'), data: PaymentStatusEvent }),
]);
export type PaymentLiveEvent = z.infer<typeof PaymentLiveEvent>;
