import {
  DeliveryLinkInput,
  DeliveryOrderInput,
  DeliveryOverview,
  DeliveryReissueResult,
} from '@paidflow/contracts';
import {
  deliveryOverview,
  reissueLink,
  resendNotification,
  revokeLink,
} from '../../services/delivery-actions.ts';
import { actorOf } from '../../services/operator-actions.ts';
import { operatorProcedure, router, viewerProcedure } from '../init.ts';
import { Done } from './tasks.ts';

/** The operator's control of delivery links (decision 044); every mutation is audited with its actor. */
export const deliveryRouter = router({
  /** An order's links with their status, and its delivered files with their download counts. */
  links: viewerProcedure
    .input(DeliveryOrderInput)
    .output(DeliveryOverview)
    .query(({ ctx, input }) => deliveryOverview(ctx, input.orderId)),
  /** The link stops working (410). CONFLICT when it is revoked already. */
  revoke: operatorProcedure
    .input(DeliveryLinkInput)
    .output(Done)
    .mutation(async ({ ctx, input }) => {
      await revokeLink(ctx, { linkId: input.linkId, actor: actorOf(ctx.admin) });
      return { ok: true as const };
    }),
  /** Revokes the active link and issues a new one. CONFLICT when nothing was delivered. */
  reissue: operatorProcedure
    .input(DeliveryOrderInput)
    .output(DeliveryReissueResult)
    .mutation(({ ctx, input }) => reissueLink(ctx, { orderId: input.orderId, actor: actorOf(ctx.admin) })),
  /** Sends the customer's e-mail again. CONFLICT while the order has not ended. */
  resend: operatorProcedure
    .input(DeliveryOrderInput)
    .output(Done)
    .mutation(async ({ ctx, input }) => {
      await resendNotification(ctx, { orderId: input.orderId, actor: actorOf(ctx.admin) });
      return { ok: true as const };
    }),
});
