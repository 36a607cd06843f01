import { trpc } from '../trpc.ts';

/** An order's delivery links and per-file download counts (refreshed now and then: counts move). */
export function useDeliveryLinks(orderId: number) {
  return trpc.delivery.links.useQuery({ orderId }, { refetchInterval: 15_000 });
}

/** Revoke, re-issue, resend (operators); each refetches the links, the detail and the audit log. */
export function useDeliveryActions(orderId: number) {
  const utils = trpc.useUtils();
  const onSettled = () => {
    void utils.delivery.links.invalidate({ orderId });
    void utils.orders.detail.invalidate({ orderId });
    void utils.audit.list.invalidate({ orderId });
  };
  return {
    revoke: trpc.delivery.revoke.useMutation({ onSettled }),
    reissue: trpc.delivery.reissue.useMutation({ onSettled }),
    resend: trpc.delivery.resend.useMutation({ onSettled }),
  };
}
