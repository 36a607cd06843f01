import { FirehoseInput, type LiveSnapshot, OrderEventsInput, TaskEventsInput } from '@paidflow/contracts';
import type { Topic } from '../../realtime/hub.ts';
import { liveStream } from '../../realtime/live-stream.ts';
import {
  firehoseSnapshot,
  orderSnapshot,
  type SnapshotReason,
  taskSnapshot,
} from '../../realtime/snapshot.ts';
import type { Context } from '../context.ts';
import { router, streamError, viewerProcedure } from '../init.ts';

/** A snapshot for a stream: errors thrown mid-stream skip the middlewares, so they are mapped here. */
function mapped(snapshot: (reason: SnapshotReason) => Promise<LiveSnapshot>) {
  return async (reason: SnapshotReason) => {
    try {
      return await snapshot(reason);
    } catch (error) {
      throw streamError(error);
    }
  };
}

function stream(
  ctx: Context,
  signal: AbortSignal | undefined,
  topic: Topic,
  lastEventId: string | null | undefined,
  snapshot: (reason: SnapshotReason) => Promise<LiveSnapshot>,
) {
  return liveStream({
    hub: ctx.realtime.hub,
    metrics: ctx.realtime.metrics,
    logger: ctx.logger,
    topic,
    signal,
    socket: ctx.socket,
    lastEventId,
    snapshot: mapped(snapshot),
  });
}

/**
 * Live subscriptions (WebSocket). Each starts with a snapshot of the current state, then live
 * events with tracked ids; a reconnect (lastEventId) starts with a fresh snapshot again.
 */
export const eventsRouter = router({
  /** One order: its status, progress and completion, and every task's progress and status. */
  order: viewerProcedure
    .input(OrderEventsInput)
    .subscription(({ ctx, input, signal }) =>
      stream(ctx, signal, { kind: 'order', id: input.orderId }, input.lastEventId, (reason) =>
        orderSnapshot(ctx, input.orderId, reason),
      ),
    ),
  /** One task: its progress and status (the snapshot carries its order's state too). */
  task: viewerProcedure
    .input(TaskEventsInput)
    .subscription(({ ctx, input, signal }) =>
      stream(ctx, signal, { kind: 'task', id: input.taskId }, input.lastEventId, (reason) =>
        taskSnapshot(ctx, input.taskId, reason),
      ),
    ),
  /**
   * Order-level events for the list page: order status changes (newly paid orders included),
   * order progress, completions, and task status changes (they carry orderId, for the counts).
   */
  firehose: viewerProcedure
    .input(FirehoseInput)
    .subscription(({ ctx, input, signal }) =>
      stream(ctx, signal, { kind: 'firehose' }, input?.lastEventId, async (reason) =>
        firehoseSnapshot(reason),
      ),
    ),
});
