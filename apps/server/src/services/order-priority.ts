import { downloadJobId, JOB_PRIORITIES, type OrderPriority } from '@paidflow/contracts';
import {
  appendAuditEvents,
  lockOrder,
  markOrderPriority,
  queuedTasksOf,
  withTransaction,
} from '@paidflow/db';
import { Job } from 'bullmq';
import {
  type ActionDeps,
  type Actor,
  actorDetails,
  notFound,
  operatorSource,
  type TaskActionOutcome,
} from './operator-actions.ts';
import { publishOrderStatus } from './pipeline-events.ts';

/** Job states whose priority still decides when a worker takes the job. */
const WAITING_STATES = new Set(['waiting', 'prioritized', 'delayed']);

/**
 * An operator sets an order's priority (audited with the actor). After commit, the order's jobs
 * still waiting take the new priority, so a VIP order's queued tasks move ahead of the normal
 * ones already waiting; jobs added later read it at dispatch (outbox-downloads.ts). A job that
 * cannot be moved (Redis down, taken meanwhile) keeps its place and is logged: the priority is
 * a preference, never a reason to fail the action.
 */
export async function setOrderPriority(
  deps: ActionDeps,
  options: { orderId: number; priority: OrderPriority; actor: Actor },
): Promise<TaskActionOutcome & { moved?: number }> {
  const { orderId, priority, actor } = options;
  const changed = await withTransaction(deps.db, async (tx) => {
    const order = await lockOrder(tx, orderId);
    if (!order) return null;
    if (order.priority === priority) return { order, changed: false };
    await markOrderPriority(tx, orderId, priority);
    await appendAuditEvents(tx, [
      {
        order_id: orderId,
        event_type: 'priority_changed',
        message: `Priority changed from ${order.priority} to ${priority}`,
        details: { ...actorDetails(actor), from: order.priority, to: priority },
        previous_status: order.priority,
        new_status: priority,
        source: operatorSource(actor),
      },
    ]);
    return { order, changed: true };
  });
  if (!changed) return notFound(`order ${orderId} not found`);
  if (!changed.changed) return { ok: true, moved: 0 };
  const moved = await moveWaitingJobs(deps, orderId, priority);
  // Lists and pages refetch on an order status message; the status itself did not change.
  await publishOrderStatus(deps, {
    orderId,
    orderCode: changed.order.order_code,
    paymentStatus: changed.order.payment_status,
    previousStatus: changed.order.order_status,
    newStatus: changed.order.order_status,
  });
  return { ok: true, moved };
}

async function moveWaitingJobs(deps: ActionDeps, orderId: number, priority: OrderPriority): Promise<number> {
  let moved = 0;
  for (const task of await queuedTasksOf(deps.db, orderId)) {
    const jobId = downloadJobId(task.id, task.queue_generation);
    try {
      const job = await Job.fromId(deps.queue, jobId);
      if (!job || !WAITING_STATES.has(await job.getState())) continue;
      await job.changePriority({ priority: JOB_PRIORITIES[priority] });
      moved++;
    } catch (error) {
      deps.logger.warn({ err: error, orderId, jobId }, 'waiting job keeps its old priority');
    }
  }
  return moved;
}
