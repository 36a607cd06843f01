import { claimOutboxBatch, DOWNLOAD_TOPIC, markOutboxDispatched, NOTIFICATION_TOPIC } from '@paidflow/db';
import { detachedFromTrace } from '@paidflow/runtime';
import type { AppDeps } from '../deps.ts';
import { createDownloadDispatcher } from './outbox-downloads.ts';
import { createNotificationDispatcher } from './outbox-notifications.ts';
import type { DrainResult } from './outbox-result.ts';

const BATCH_SIZE = 100;
const CLAIM_TRANSACTION = { isolationLevel: 'read committed' } as const;

type DrainerDeps = Pick<AppDeps, 'db' | 'queue' | 'logger' | 'notifier' | 'env'>;

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
  let mysqlDown = false;
  const downloads = createDownloadDispatcher(deps, { intervalMs });
  const notifications = createNotificationDispatcher(deps);

  async function drainOnce(): Promise<DrainResult> {
    const result: DrainResult = { dispatched: 0, failed: 0 };
    // READ COMMITTED: the claim locks the rows it returns and nothing else. Under the default
    // REPEATABLE READ, its range scan of idx_outbox_pending also gap-locks the end of the pending
    // range, which is exactly where every new outbox row goes: each webhook's INSERT then waited
    // for this transaction, and so for the Redis round trip inside it.
    await deps.db.transaction(async (tx) => {
      const rows = await claimOutboxBatch(tx, BATCH_SIZE);
      await downloads.dispatch(
        tx,
        rows.filter((row) => row.topic === DOWNLOAD_TOPIC),
        result,
      );
      for (const row of rows.filter((row) => row.topic === NOTIFICATION_TOPIC)) {
        await notifications.dispatch(tx, row, result);
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
    // Never inside the trace of the request that kicked it: each pass is about many payments.
    timer = setTimeout(detachedFromTrace(run), delay);
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
