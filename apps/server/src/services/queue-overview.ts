import {
  type DeadLetterJob,
  DownloadJobData,
  type QueueOverview,
  QueueOverviewInput,
} from '@paidflow/contracts';
import { taskNames } from '@paidflow/db';
import { withTimeout } from '@paidflow/runtime';
import type { Job } from 'bullmq';
import type { AppDeps } from '../deps.ts';
import { AppError } from '../errors.ts';

type QueueDeps = Pick<AppDeps, 'db' | 'queue' | 'logger'>;

/** How long a queue read may take before the answer is "Redis is unavailable". */
export const QUEUE_TIMEOUT_MS = 3_000;

/** Runs a BullMQ call with a deadline; an error or timeout becomes AppError UNAVAILABLE (logged). */
export async function queueCall<T>(
  deps: Pick<AppDeps, 'logger'>,
  what: string,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await withTimeout(call(), QUEUE_TIMEOUT_MS, what);
  } catch (error) {
    deps.logger.warn({ err: error, what }, 'queue unavailable');
    throw new AppError('UNAVAILABLE', 'the queue (Redis) is unavailable; try again shortly', {
      cause: error,
    });
  }
}

function encodeOffset(offset: number): string {
  return Buffer.from(`o:${offset}`).toString('base64url');
}

function decodeOffset(cursor: string): number {
  const match = /^o:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new AppError('INVALID_INPUT', 'the cursor is malformed; start again from the first page');
  return Number(match[1]);
}

/** A failed job as the dead-letter list shows it; ids come from the job's data (null if garbage). */
export function toDeadLetter(job: Job): Omit<DeadLetterJob, 'orderCode' | 'taskTitle'> {
  const data = DownloadJobData.safeParse(job.data);
  return {
    jobId: String(job.id),
    taskId: data.success ? data.data.taskId : null,
    orderId: data.success ? data.data.orderId : null,
    attemptsMade: job.attemptsMade,
    failedReason: (job.failedReason ?? '').slice(0, 2000),
    createdAt: job.timestamp,
    processedAt: job.processedOn ?? null,
    failedAt: job.finishedOn ?? null,
  };
}

/** Adds each dead letter's order code and task title (best effort: MySQL down leaves them null). */
async function withNames(deps: QueueDeps, items: Array<Omit<DeadLetterJob, 'orderCode' | 'taskTitle'>>) {
  const taskIds = [...new Set(items.flatMap((item) => (item.taskId ? [item.taskId] : [])))];
  let names = new Map<number, { title: string; orderCode: string }>();
  try {
    names = await taskNames(deps.db, taskIds);
  } catch (error) {
    deps.logger.warn({ err: error }, 'dead-letter names unavailable');
  }
  return items.map((item) => {
    const name = item.taskId ? names.get(item.taskId) : undefined;
    return { ...item, orderCode: name?.orderCode ?? null, taskTitle: name?.title ?? null };
  });
}

/**
 * The downloads queue at a glance: BullMQ's counts (prioritized jobs count as waiting) and the
 * dead-letter list (the failed set, newest first, offset-paged) with attempts and last error.
 */
export async function queueOverview(
  deps: QueueDeps,
  rawInput: QueueOverviewInput = {},
): Promise<QueueOverview> {
  const input = QueueOverviewInput.parse(rawInput);
  const offset = input.cursor ? decodeOffset(input.cursor) : 0;
  const [counts, jobs] = await queueCall(deps, 'queue overview', () =>
    Promise.all([
      deps.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed'),
      // BullMQ's range is inclusive: one job past the page tells whether there is a next one.
      deps.queue.getFailed(offset, offset + input.limit),
    ]),
  );
  const page = jobs.filter(Boolean).slice(0, input.limit);
  return {
    counts: {
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      completed: counts.completed ?? 0,
      failed: counts.failed ?? 0,
    },
    deadLetters: await withNames(deps, page.map(toDeadLetter)),
    nextCursor: jobs.length > input.limit ? encodeOffset(offset + input.limit) : null,
  };
}
