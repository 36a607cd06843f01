import {
  ActionResult,
  ListPaidOrdersInput,
  OrderDetailWithLive,
  OrderIdInput,
  PaidOrdersPage,
} from '@paidflow/contracts';
import { listPaidOrders } from '@paidflow/db';
import { orderDetailWithLive } from '../../realtime/order-detail.ts';
import { retryOrderFailed } from '../../services/bulk-retry.ts';
import { actorOf } from '../../services/operator-actions.ts';
import { operatorProcedure, router, viewerProcedure } from '../init.ts';

export const ordersRouter = router({
  /** Paid orders, newest first: status filter, search by code or e-mail prefix, keyset cursor. */
  list: viewerProcedure
    .input(ListPaidOrdersInput)
    .output(PaidOrdersPage)
    .query(({ ctx, input }) => listPaidOrders(ctx.db, input)),
  /** One order with its tasks, each with its latest live progress (degrades without Redis). */
  detail: viewerProcedure
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
});
