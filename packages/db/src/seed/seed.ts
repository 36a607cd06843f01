import type { OrderStatus } from '@paidflow/contracts';
import type { Pool } from 'mysql2/promise';
import { customerEmail, customerPriority } from './catalog.ts';
import { reserveOrderIds } from './ids.ts';
import { buildOrderStory } from './order-story.ts';
import { createRandom } from './random.ts';
import type { SeedOrder } from './rows.ts';
import { writeBatch } from './writer.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const DEFAULT_COURSE_BASE = 'http://127.0.0.1:4100/courses';

export interface SeedOptions {
  /** How many orders to add. */
  orders: number;
  /** Same seed, same data (up to the ids already taken and `now`). Default 1. */
  seed?: number;
  /** Share of paid orders, 0..1 (default 0.9); the rest wait for their payment. */
  paidShare?: number;
  /** Base URL of the course source; task URLs are `${courseBase}/<slug>/manifest.json`. */
  courseBase?: string;
  /** The present: nothing happens after it. Default: the current time. */
  now?: Date;
  /** Orders per transaction (default 2000). */
  batchSize?: number;
  /** Called about every `progressEvery` orders (default 50 000) and at the end. */
  onProgress?: (progress: SeedProgress) => void;
  progressEvery?: number;
}

export interface SeedProgress {
  orders: number;
  total: number;
  tasks: number;
  events: number;
  elapsedMs: number;
}

/** A mysql2 pool, or a handle that holds one (createDb's DbHandle), of two connections at least. */
export type SeedTarget = Pool | { pool: Pool };

/**
 * Adds realistic demo orders with their tasks and audit trails, in bulk: multi-row INSERTs, one
 * transaction per batch, order ids reserved from MySQL's auto-increment (so that a database in
 * use, whose live inserts take ids from the same counters, can be seeded), foreign key checks
 * off for the session.
 * Orders are spread over the past (7 to 365 days, newest a few minutes ago), several per customer.
 * Order counters equal their tasks' statuses by construction.
 */
export async function seedDatabase(target: SeedTarget, options: SeedOptions): Promise<SeedProgress> {
  const pool = poolOf(target);
  const total = Math.max(0, Math.floor(options.orders));
  const rng = createRandom(options.seed ?? 1);
  const now = (options.now ?? new Date()).getTime();
  const batchSize = options.batchSize ?? 2000;
  const progressEvery = options.progressEvery ?? 50_000;
  const paidShare = options.paidShare ?? 0.9;
  const courseBase = (options.courseBase ?? DEFAULT_COURSE_BASE).replace(/\/+$/, '');
  const customers = Math.max(5, Math.ceil(total / 3));
  const end = now - 10 * MINUTE;
  const span = Math.min(365 * DAY, Math.max(7 * DAY, total * 30_000));
  const step = span / Math.max(1, total);
  const started = Date.now();
  const progress: SeedProgress = { orders: 0, total, tasks: 0, events: 0, elapsedMs: 0 };

  // One connection writes a batch while the other reserves the next one's ids.
  const connection = await pool.getConnection();
  const reserver = await pool.getConnection().catch((error: unknown) => {
    connection.release();
    throw error;
  });
  try {
    // Our rows reference only our rows, written parents first: the bulk session skips FK checks.
    // Unique checks stay on: a live order may hold a code at any moment.
    await connection.query('SET SESSION foreign_key_checks = 0');
    let inflight: Promise<number> | null = null;
    let reported = 0;
    for (let first = 0; first < total; first += batchSize) {
      const count = Math.min(batchSize, total - first);
      const ids = await reserveOrderIds(reserver, count);
      const batch: SeedOrder[] = [];
      // Task ids are the batch's own until MySQL gives them (writeBatch).
      let storyTaskId = 1;
      for (let i = first; i < first + count; i++) {
        const createdAt = Math.floor(end - span + (i + rng.next() * 0.9) * step);
        const paid = rng.chance(paidShare);
        const customer = rng.int(0, customers - 1);
        const story = buildOrderStory({
          rng,
          id: ids[i - first]!,
          firstTaskId: storyTaskId,
          email: customerEmail(customer),
          priority: customerPriority(customer),
          createdAt,
          now,
          courseBase,
          ...statusAndTasks(paid ? pickPaidStatus(rng.next(), now - createdAt) : 'pending', rng.int(1, 5)),
        });
        storyTaskId += story.tasks.length;
        progress.tasks += story.tasks.length;
        batch.push(story);
        // Let the previous batch's statements reach the server while this one is built.
        if (i % 250 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      if (inflight) progress.events += await inflight;
      inflight = writeBatch(connection, batch);
      // Awaited on the next turn; until then a failure must not count as unhandled.
      inflight.catch(() => {});
      progress.orders += count;
      if (progress.orders - reported >= progressEvery) {
        reported = progress.orders;
        options.onProgress?.({ ...progress, elapsedMs: Date.now() - started });
      }
    }
    if (inflight) progress.events += await inflight;
  } finally {
    await connection.query('SET SESSION foreign_key_checks = 1').catch(() => {});
    connection.release();
    reserver.release();
  }
  progress.elapsedMs = Date.now() - started;
  options.onProgress?.({ ...progress });
  return progress;
}

function poolOf(target: SeedTarget): Pool {
  // A mysql2 promise pool also has a `pool` property (its callback pool): test for the method.
  return 'getConnection' in target ? target : target.pool;
}

/** A partially completed order has a delivered task and a failed one: two tasks at least. */
function statusAndTasks(status: OrderStatus, taskCount: number) {
  return { status, taskCount: status === 'partially_completed' ? Math.max(2, taskCount) : taskCount };
}

/** Work in flight is recent; an older order has mostly ended (a few stay stuck in processing). */
function pickPaidStatus(roll: number, ageMs: number): Exclude<OrderStatus, 'pending'> {
  const weights: Array<[Exclude<OrderStatus, 'pending'>, number]> =
    ageMs < 3 * HOUR
      ? [
          ['processing', 0.7],
          ['completed', 0.2],
          ['partially_completed', 0.04],
          ['failed', 0.03],
          ['cancelled', 0.03],
        ]
      : [
          ['completed', 0.83],
          ['partially_completed', 0.06],
          ['failed', 0.04],
          ['processing', 0.04],
          ['cancelled', 0.03],
        ];
  let rest = roll;
  for (const [status, weight] of weights) {
    rest -= weight;
    if (rest < 0) return status;
  }
  return 'completed';
}

/** True when the orders table has no row. */
export async function isDatabaseEmpty(target: SeedTarget): Promise<boolean> {
  const [rows] = await poolOf(target).query('SELECT 1 FROM orders LIMIT 1');
  return (rows as unknown[]).length === 0;
}
