import type { TaskWithLive } from '@paidflow/contracts';
import { useEffect, useMemo } from 'react';
import type { AuditFilters } from '../lib/audit-filters.ts';
import { throttle } from '../lib/throttle.ts';
import { unbatch } from '../live/events.ts';
import { applyOrderStreamEvent, useLive } from '../live/live-context.tsx';
import { mergeTask, type TaskView } from '../live/task-live.ts';
import { useFrameValue } from '../live/use-frame-value.ts';
import { trpc } from '../trpc.ts';
import { useSessionErrorHandler } from './use-session.ts';

/** Status changes refetch the detail (links, errors, attempts) and the audit log this often at most. */
const REFRESH_MS = 500;

/**
 * An order with its tasks, kept live by the order's own stream: progress goes to the live store
 * (read per task, once per frame); status changes also refetch the detail and its audit log,
 * whose rows they add to. The stream's snapshot after a reconnect refetches too.
 */
export function useOrderDetail(orderId: number) {
  const stores = useLive();
  const utils = trpc.useUtils();
  const onError = useSessionErrorHandler();
  const detail = trpc.orders.detail.useQuery({ orderId });

  const refresh = useMemo(
    () =>
      throttle(() => {
        void utils.orders.detail.invalidate({ orderId });
        void utils.audit.list.invalidate({ orderId });
      }, REFRESH_MS),
    [utils, orderId],
  );
  useEffect(() => () => refresh.cancel(), [refresh]);

  trpc.events.order.useSubscription(
    { orderId },
    {
      onData: (envelope) => {
        applyOrderStreamEvent(stores, envelope.data);
        // Progress only moves bars; anything else (a status, a resync) changes rows to refetch.
        const changed = unbatch(envelope.data).some((event) =>
          event.kind === 'snapshot' ? event.reason !== 'subscribe' : event.kind !== 'task.progress',
        );
        if (changed) refresh();
      },
      onError,
    },
  );
  return detail;
}

/** One task as it is now. */
export function useTaskView(task: TaskWithLive): TaskView {
  const { tasks } = useLive();
  return mergeTask(task, useFrameValue(tasks, task.id));
}

/** The order's status as it is now. */
export function useLiveOrderStatus(orderId: number) {
  const { orders } = useLive();
  return useFrameValue(orders, orderId)?.status?.value;
}

/** The order's live ETA (seconds), while it is processing and the server has one. */
export function useLiveOrderEta(orderId: number): number | null {
  const { orders } = useLive();
  return useFrameValue(orders, orderId)?.counts?.etaSeconds ?? null;
}

/** Operator actions on an order's tasks; each refetches the detail and the audit log after. */
export function useTaskActions(orderId: number) {
  const utils = trpc.useUtils();
  const onSettled = () => {
    void utils.orders.detail.invalidate({ orderId });
    void utils.audit.list.invalidate({ orderId });
  };
  return {
    retry: trpc.tasks.retry.useMutation({ onSettled }),
    cancel: trpc.tasks.cancel.useMutation({ onSettled }),
    retryFailed: trpc.orders.retryFailed.useMutation({ onSettled }),
    setPriority: trpc.orders.setPriority.useMutation({ onSettled }),
  };
}

/** The audit log of an order, newest first, page by page. */
export function useAuditLog(orderId: number, filters: AuditFilters, enabled: boolean) {
  return trpc.audit.list.useInfiniteQuery(
    {
      orderId,
      severity: filters.severity.length > 0 ? filters.severity : undefined,
      category: filters.category.length > 0 ? filters.category : undefined,
      taskId: filters.taskId ?? undefined,
      limit: 50,
    },
    { enabled, getNextPageParam: (page) => page.nextCursor ?? undefined },
  );
}
