import { DownloadJobData, downloadJobOptions } from '@paidflow/contracts';
import {
  type DbOrTx,
  markOutboxDispatched,
  markOutboxFailed,
  type OutboxRow,
  orderPriorities,
} from '@paidflow/db';
import { extractTraceContext, inSpan, jitteredBackoffMs, withTimeout } from '@paidflow/runtime';
import { z } from 'zod';
import type { AppDeps } from '../deps.ts';
import { type DrainResult, errorText } from './outbox-result.ts';

// traceparent: the trace that wrote the row (tracing on); its job continues it.
const DownloadRowPayload = DownloadJobData.extend({
  jobId: z.string().min(1).max(128),
  traceparent: z.string().max(256).optional(),
});
type ValidRow = { row: OutboxRow; data: z.infer<typeof DownloadRowPayload> };
const QUEUE_TIMEOUT_MS = 5_000;

/**
 * One addBulk per trace the rows carry, inside an 'outbox dispatch' span continuing it: BullMQ's
 * producer span, and so each job, belong to the payment that queued it. With tracing off no row
 * carries one: a single addBulk, as ever.
 */
function addJobs(
  queue: AppDeps['queue'],
  rows: ValidRow[],
  jobOf: (item: ValidRow) => Parameters<AppDeps['queue']['addBulk']>[0][number],
): Promise<unknown> {
  const byTrace = new Map<string, ValidRow[]>();
  for (const item of rows) {
    const key = item.data.traceparent ?? '';
    const group = byTrace.get(key);
    if (group) group.push(item);
    else byTrace.set(key, [item]);
  }
  return Promise.all(
    [...byTrace].map(([traceparent, items]) =>
      inSpan('outbox dispatch', () => queue.addBulk(items.map(jobOf)), {
        parent: extractTraceContext({ traceparent }),
        attributes: {
          'paidflow.outbox.rows': items.length,
          'paidflow.outbox.wait_ms':
            Date.now() - Math.min(...items.map(({ row }) => row.created_at.getTime())),
          'paidflow.task_ids': items.map(({ data }) => data.taskId),
        },
      }),
    ),
  );
}

/**
 * The outbox's 'download' rows become BullMQ jobs (the job options of the contracts' jobs module,
 * with the order's priority as it is now), in one addBulk per pass. While Redis is unreachable the rows wait in MySQL, and the dispatcher
 * backs off as a whole, saying so once per outage.
 */
export function createDownloadDispatcher(
  deps: Pick<AppDeps, 'queue' | 'logger'>,
  options: { intervalMs: number },
) {
  const { logger } = deps;
  const { intervalMs } = options;
  let queueFailures = 0;
  let queueRetryAt = 0;

  async function dispatch(tx: DbOrTx, rows: OutboxRow[], result: DrainResult): Promise<void> {
    if (rows.length === 0 || Date.now() < queueRetryAt) return;
    const valid: ValidRow[] = [];
    for (const row of rows) {
      const parsed = DownloadRowPayload.safeParse(row.payload);
      if (parsed.success) valid.push({ row, data: parsed.data });
      else {
        // Retrying cannot fix a bad payload: set it aside, loudly, instead of blocking the outbox.
        logger.error(
          { outboxId: row.id, issues: parsed.error.issues },
          'outbox row with an invalid download payload',
        );
        await markOutboxDispatched(tx, [row.id], `invalid payload: ${parsed.error.message}`);
      }
    }
    if (valid.length === 0) return;
    // Read now, not when the row was written: an operator may have made the order VIP since.
    const priorities = await orderPriorities(
      tx,
      valid.map(({ data }) => data.orderId),
    );
    try {
      await withTimeout(
        addJobs(deps.queue, valid, ({ data }) => ({
          name: 'download',
          data: {
            taskId: data.taskId,
            orderId: data.orderId,
            reason: data.reason,
            ...(data.attemptsBefore ? { attemptsBefore: data.attemptsBefore } : {}),
          },
          opts: {
            ...downloadJobOptions(data.attemptsBefore ?? 0, priorities.get(data.orderId)),
            jobId: data.jobId,
          },
        })),
        QUEUE_TIMEOUT_MS,
        'adding jobs to the queue',
      );
    } catch (error) {
      queueFailures++;
      queueRetryAt = Date.now() + jitteredBackoffMs(queueFailures, intervalMs, 10_000);
      await markOutboxFailed(
        tx,
        valid.map(({ row }) => row.id),
        errorText(error),
      );
      result.failed += valid.length;
      if (queueFailures === 1) {
        logger.warn({ err: error, pending: valid.length }, 'outbox: queue unreachable; jobs wait in MySQL');
      }
      return;
    }
    if (queueFailures > 0) logger.info({ failedPasses: queueFailures }, 'outbox: queue reachable again');
    queueFailures = 0;
    queueRetryAt = 0;
    await markOutboxDispatched(
      tx,
      valid.map(({ row }) => row.id),
    );
    result.dispatched += valid.length;
  }

  return { dispatch };
}
