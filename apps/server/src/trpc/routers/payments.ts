import {
  ListPaymentsInput,
  MatchPaymentInput,
  PaymentActionResult,
  PaymentAttention,
  PaymentsPage,
  ResolvePaymentInput,
} from '@paidflow/contracts';
import { listPaymentTransactions, paymentAttentionCount } from '@paidflow/db';
import { actorOf } from '../../services/operator-actions.ts';
import { matchPayment, resolvePayment } from '../../services/payment-actions.ts';
import { paymentLiveStream } from '../../services/payment-events.ts';
import { operatorProcedure, router, viewerProcedure, viewerReadProcedure } from '../init.ts';

/** The payments inbox: every transfer the provider sent, and the operator's actions on them. */
export const paymentsRouter = router({
  /** Transactions, newest first: by outcome, searched, within a date range; keyset cursor. */
  list: viewerReadProcedure
    .input(ListPaymentsInput)
    .output(PaymentsPage)
    .query(({ ctx, input }) => listPaymentTransactions(ctx.db, input)),
  /** How many transactions need an operator (unmatched and underpaid). */
  attention: viewerReadProcedure.output(PaymentAttention).query(({ ctx }) => paymentAttentionCount(ctx.db)),
  /**
   * Matches an unmatched or underpaid transfer to an order (operator): when the order's transfers
   * cover its total it is paid and its tasks queued. NOT_FOUND for an unknown transaction or
   * order; CONFLICT when either is in a state that forbids it.
   */
  match: operatorProcedure
    .input(MatchPaymentInput)
    .output(PaymentActionResult)
    .mutation(({ ctx, input }) =>
      matchPayment(ctx, {
        transactionId: input.transactionId,
        orderCode: input.orderCode,
        note: input.note,
        actor: actorOf(ctx.admin),
      }),
    ),
  /** Marks a transfer refunded or ignored, with a note (operator). CONFLICT when its status forbids it. */
  resolve: operatorProcedure
    .input(ResolvePaymentInput)
    .output(PaymentActionResult)
    .mutation(({ ctx, input }) =>
      resolvePayment(ctx, {
        transactionId: input.transactionId,
        resolution: input.resolution,
        note: input.note,
        actor: actorOf(ctx.admin),
      }),
    ),
  /** Live: `ready`, then every payment status change (WebSocket); clients refetch on them. */
  live: viewerProcedure.subscription(({ ctx, signal }) =>
    paymentLiveStream({ hub: ctx.realtime.hub, signal }),
  ),
});
