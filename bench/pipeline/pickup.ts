import { Queue, Worker } from 'bullmq';
import type { Pool } from 'mysql2/promise';
import { sleep } from '../lib/wait.ts';

/** When each of `count` jobs arrives, spread at random (uniformly) over `windowMs`. */
export function arrivalSchedule(count: number, windowMs: number): number[] {
  return Array.from({ length: count }, () => Math.random() * windowMs).sort((a, b) => a - b);
}

/** Calls `arrive(i)` at each scheduled offset from now (without waiting for it), then waits for all. */
export async function runArrivals(
  schedule: number[],
  arrive: (index: number) => Promise<void>,
): Promise<void> {
  const started = Date.now();
  const pending: Array<Promise<void>> = [];
  for (const [index, offset] of schedule.entries()) {
    const wait = started + offset - Date.now();
    if (wait > 0) await sleep(wait);
    pending.push(arrive(index));
  }
  await Promise.all(pending);
}

/**
 * Pickup latency of a BullMQ worker: the time from just before `queue.add` to the moment the
 * handler starts, for every job of the schedule.
 */
export async function bullmqPickup(options: {
  redisUrl: string;
  prefix: string;
  concurrency: number;
}): Promise<{ add: (index: number) => Promise<void>; samples: number[]; close: () => Promise<void> }> {
  const queueName = 'bench-pickup';
  const samples: number[] = [];
  const queue = new Queue(queueName, { connection: { url: options.redisUrl }, prefix: options.prefix });
  const worker = new Worker(
    queueName,
    async (job) => {
      samples.push(Date.now() - (job.data as { addedAt: number }).addedAt);
    },
    {
      connection: { url: options.redisUrl, maxRetriesPerRequest: null },
      prefix: options.prefix,
      concurrency: options.concurrency,
    },
  );
  worker.on('error', (error) => process.stderr.write(`[bench pipeline] worker error: ${error.message}\n`));
  await worker.waitUntilReady();
  return {
    samples,
    async add(index) {
      await queue.add('pickup', { addedAt: Date.now(), index }, { removeOnComplete: true });
    },
    async close() {
      await worker.close();
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
    },
  };
}

/**
 * The seeds' old design, honestly simulated: tasks are rows in MySQL, and a worker loop SELECTs
 * the queued ones every `intervalMs`, marks them taken and records when it saw each. The latency
 * is the time from the INSERT to the SELECT that returned the row.
 */
export async function mysqlPollingPickup(options: { pool: Pool; intervalMs: number }) {
  const { pool } = options;
  await pool.query(`CREATE TABLE baseline_tasks (
    id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
    status ENUM('queued', 'active') NOT NULL DEFAULT 'queued',
    inserted_at_ms BIGINT NOT NULL,
    picked_at_ms BIGINT NULL,
    INDEX idx_status (status, id)
  )`);
  const samples: number[] = [];
  let inserted = 0;
  let stopped = false;

  async function pollOnce(): Promise<void> {
    const connection = await pool.getConnection();
    try {
      await connection.beginTransaction();
      const [rows] = await connection.query(
        "SELECT id, inserted_at_ms FROM baseline_tasks WHERE status = 'queued' ORDER BY id LIMIT 1000 FOR UPDATE",
      );
      const seenAt = Date.now();
      const picked = rows as Array<{ id: number; inserted_at_ms: number }>;
      if (picked.length > 0) {
        await connection.query(
          "UPDATE baseline_tasks SET status = 'active', picked_at_ms = ? WHERE id IN (?)",
          [seenAt, picked.map((row) => row.id)],
        );
      }
      await connection.commit();
      for (const row of picked) samples.push(seenAt - Number(row.inserted_at_ms));
    } finally {
      connection.release();
    }
  }

  // The poller starts at a random phase, as a worker started at any moment would.
  const loop = (async () => {
    await sleep(Math.random() * options.intervalMs);
    while (!stopped) {
      await pollOnce();
      if (!stopped) await sleep(options.intervalMs);
    }
  })();

  return {
    samples,
    async add() {
      await pool.query('INSERT INTO baseline_tasks (inserted_at_ms) VALUES (?)', [Date.now()]);
      inserted++;
    },
    /** Waits until every inserted row was picked up (at most one more interval), then stops. */
    async drain(): Promise<void> {
      while (samples.length < inserted) await sleep(100);
      stopped = true;
      await loop;
    },
  };
}
