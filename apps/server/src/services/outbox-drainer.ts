import { DownloadJobData, downloadJobOptions } from '@paidflow/contracts';
import {
  claimOutboxBatch,
  type Db,
  type DbOrTx,
  DOWNLOAD_TOPIC,
  markOutboxDispatched,
  markOutboxFailed,
  NOTIFICATION_TOPIC,
  type OutboxRow,
} from '@paidflow/db';
import { jitteredBackoffMs, withTimeout } from '@paidflow/runtime';
import { z } from 'zod';
import type { AppDeps } from '../deps.ts';
import { deliverNotification, recordNotificationFailed } from '../notify/deliver.ts';
import { NotificationPayload } from '../notify/payloads.ts';

const DownloadRowPayload = DownloadJobData.extend({ jobId: z.string().min(1).max(128) });

/** How many times a notification is tried before it is given up on (about 4 minutes in all). */
export const MAX_NOTIFICATION_ATTEMPTS = 8;
const BATCH_SIZE = 100;
const QUEUE_TIMEOUT_MS = 5_000;
const CLAIM_TRANSACTION = { isolationLevel: 'read committed' } as const;

type DrainerDeps = Pick<AppDeps, 'db' | 'queue' | 'logger' | 'notifier' | 'env'>;

export interface DrainResult {
  dispatched: number;
  failed: number;
}

export interface OutboxDrainer {
  /** Starts polling (every intervalMs) and draining when kicked. */
  start(): void;
  /** Wakes the drainer now; cheap, and safe to call at any time. */
  kick(): void;
  /** One pass; what tests and the polling loop call. */
  drainOnce(): Promise<DrainResult>;
  /** Stops polling and waits for a pass in progress to finish. */
  stop(): Promise<void>;
}

function errorText(error: unknown): string {
  return (error as Error)?.message ?? String(error);
}

/**
 * Drains the transactional outbox: 'download' rows become BullMQ jobs, 'notification' rows go to
 * the notifier. Rows are claimed with SELECT ... FOR UPDATE SKIP LOCKED inside a transaction,
 * so several servers can drain side by side. A row is marked dispatched only after its delivery
 * succeeded; a crash in between delivers it again, which is harmless for jobs (BullMQ ignores a
 * second add of the same job id) and at worst repeats an e-mail.
 */
export function createOutboxDrainer(deps: DrainerDeps, options: { intervalMs?: number } = {}): OutboxDrainer {
  const intervalMs = options.intervalMs ?? 500;
  const { logger } = deps;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  let again = false;
  let stopped = true;
  // Redis outage: back off as a whole, and say so once per outage, not once per tick.
  let queueFailures = 0;
  let queueRetryAt = 0;
  let mysqlDown = false;
  // Per-row backoff of notifications (in memory: another server may try a row sooner, harmlessly).
  const rowRetryAt = new Map<number, number>();

  async function dispatchDownloads(tx: DbOrTx, rows: OutboxRow[], result: DrainResult): Promise<void> {
    if (rows.length === 0 || Date.now() < queueRetryAt) return;
    const valid: Array<{ row: OutboxRow; data: z.infer<typeof DownloadRowPayload> }> = [];
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
    try {
      await withTimeout(
        deps.queue.addBulk(
          valid.map(({ data }) => ({
            name: 'download',
            data: {
              taskId: data.taskId,
              orderId: data.orderId,
              reason: data.reason,
              ...(data.attemptsBefore ? { attemptsBefore: data.attemptsBefore } : {}),
            },
            opts: { ...downloadJobOptions(data.attemptsBefore ?? 0), jobId: data.jobId },
          })),
        ),
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

  async function dispatchNotification(tx: DbOrTx, row: OutboxRow, result: DrainResult): Promise<void> {
    if (Date.now() < (rowRetryAt.get(row.id) ?? 0)) return;
    const parsed = NotificationPayload.safeParse(row.payload);
    if (!parsed.success) {
      logger.error(
        { outboxId: row.id, issues: parsed.error.issues },
        'outbox row with an invalid notification',
      );
      await markOutboxDispatched(tx, [row.id], `invalid payload: ${parsed.error.message}`);
      return;
    }
    try {
      // A savepoint: a failed delivery leaves no half-written audit event behind.
      await (tx as Db).transaction((inner) =>
        deliverNotification(
          { notifier: deps.notifier, adminEmail: deps.env.ADMIN_ALERT_EMAIL },
          inner,
          row.id,
          parsed.data,
        ),
      );
      await markOutboxDispatched(tx, [row.id]);
      rowRetryAt.delete(row.id);
      result.dispatched++;
    } catch (error) {
      const attempts = row.attempts + 1;
      result.failed++;
      if (attempts >= MAX_NOTIFICATION_ATTEMPTS) {
        logger.error({ err: error, outboxId: row.id, attempts }, 'notification given up');
        await recordNotificationFailed(tx, row.id, parsed.data, errorText(error), attempts);
        await markOutboxDispatched(tx, [row.id], `given up after ${attempts} attempts: ${errorText(error)}`);
        rowRetryAt.delete(row.id);
        return;
      }
      logger.warn({ err: error, outboxId: row.id, attempts }, 'notification not delivered; will retry');
      await markOutboxFailed(tx, [row.id], errorText(error));
      rowRetryAt.set(row.id, Date.now() + jitteredBackoffMs(attempts, 1000, 300_000));
    }
  }

  async function drainOnce(): Promise<DrainResult> {
    const result: DrainResult = { dispatched: 0, failed: 0 };
    // READ COMMITTED: the claim locks the rows it returns and nothing else. Under the default
    // REPEATABLE READ, its range scan of idx_outbox_pending also gap-locks the end of the pending
    // range, which is exactly where every new outbox row goes: each webhook's INSERT then waited
    // for this transaction, and so for the Redis round trip inside it.
    await deps.db.transaction(async (tx) => {
      const rows = await claimOutboxBatch(tx, BATCH_SIZE);
      await dispatchDownloads(
        tx,
        rows.filter((row) => row.topic === DOWNLOAD_TOPIC),
        result,
      );
      for (const row of rows.filter((row) => row.topic === NOTIFICATION_TOPIC)) {
        await dispatchNotification(tx, row, result);
      }
      const unknown = rows.filter((row) => row.topic !== DOWNLOAD_TOPIC && row.topic !== NOTIFICATION_TOPIC);
      for (const row of unknown)
        logger.error({ outboxId: row.id, topic: row.topic }, 'outbox row with an unknown topic');
      await markOutboxDispatched(
        tx,
        unknown.map((row) => row.id),
        'unknown topic',
      );
    }, CLAIM_TRANSACTION);
    return result;
  }

  async function pass(): Promise<void> {
    do {
      again = false;
      try {
        const result = await drainOnce();
        if (mysqlDown) logger.info('outbox: MySQL reachable again');
        mysqlDown = false;
        // A full batch went out: there may be more behind it.
        if (result.dispatched >= BATCH_SIZE) again = true;
      } catch (error) {
        if (!mysqlDown) logger.warn({ err: error }, 'outbox: drain failed; retrying');
        mysqlDown = true;
      }
    } while (again && !stopped);
  }

  function schedule(delay: number): void {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, delay);
  }

  function run(): void {
    timer = null;
    if (running) {
      again = true;
      return;
    }
    running = pass().finally(() => {
      running = null;
      schedule(intervalMs);
    });
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      schedule(0);
    },
    kick() {
      if (stopped) return;
      if (running) again = true;
      else schedule(0);
    },
    drainOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
  };
}
