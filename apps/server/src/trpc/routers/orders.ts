import {
  ActionResult,
  ListPaidOrdersInput,
  OrderDetailWithLive,
  OrderIdInput,
  PaidOrdersPage,
  SetOrderPriorityInput,
} from '@paidflow/contracts';
import { listPaidOrders } from '@paidflow/db';
import { z } from 'zod';
import { orderDetailWithLive } from '../../realtime/order-detail.ts';
import { retryOrderFailed } from '../../services/bulk-retry.ts';
import { actorOf, requireDone } from '../../services/operator-actions.ts';
import { setOrderPriority } from '../../services/order-priority.ts';
import { operatorProcedure, router, viewerReadProcedure } from '../init.ts';

export const ordersRouter = router({
  /** Paid orders, newest first: status filter, search by code or e-mail prefix, keyset cursor. */
  list: viewerReadProcedure
    .input(ListPaidOrdersInput)
    .output(PaidOrdersPage)
    .query(({ ctx, input }) => listPaidOrders(ctx.db, input)),
  /** One order with its tasks, each with its latest live progress (degrades without Redis). */
  detail: viewerReadProcedure
    .input(OrderIdInput)
    .output(OrderDetailWithLive)
    .query(({ ctx, input }) => orderDetailWithLive(ctx, input.orderId)),
  /** Retries every failed task of an order (operator). */
  retryFailed: operatorProcedure
    .input(OrderIdInput)
    .output(ActionResult)
    .mutation(({ ctx, input }) =>
      retryOrderFailed(ctx, { orderId: input.orderId, actor: actorOf(ctx.admin) }),
    ),
  /** Sets an order's priority (operator); its waiting tasks move in the queue. NOT_FOUND for no order. */
  setPriority: operatorProcedure
    .input(SetOrderPriorityInput)
    .output(z.object({ ok: z.literal(true), moved: z.int().nonnegative() }))
    .mutation(async ({ ctx, input }) => {
      const outcome = await setOrderPriority(ctx, { ...input, actor: actorOf(ctx.admin) });
      requireDone(outcome);
      return { ok: true as const, moved: outcome.moved ?? 0 };
    }),
});
