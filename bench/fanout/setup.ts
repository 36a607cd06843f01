import { randomBytes } from 'node:crypto';
import { encodeChannelMessage, publishCommands, redisNamespace } from '@paidflow/contracts';
import { adminSessions, adminUsers, type Db, downloadTasks, orders } from '@paidflow/db';
import { hashToken, SESSION_COOKIE } from '@paidflow/server/testing';
import { eq } from 'drizzle-orm';
import { Redis } from 'ioredis';

export interface FanoutTopology {
  /** Each order with its task ids. */
  orders: Array<{ orderId: number; taskIds: number[] }>;
  /** One session cookie per client. */
  cookies: string[];
}

/**
 * The data the tRPC peer needs: paid orders with running tasks (for the snapshots), a viewer and
 * one session per client, created directly in the database (the token's hash, as login stores it).
 * Each order also gets the latest order:{id}:progress that its payment would have published, so
 * the server's order progress relay does its real work (decision 043): every order it hears
 * ticks of is relayed once a second.
 */
export async function createTopology(
  db: Db,
  options: {
    orders: number;
    tasksPerOrder: number;
    clients: number;
    redis: { url: string; prefix: string };
  },
): Promise<FanoutTopology> {
  const stamp = Date.now() % 1_000_000;
  const created: FanoutTopology['orders'] = [];
  for (let i = 0; i < options.orders; i++) {
    const [order] = await db.insert(orders).values({
      order_code: `DH${String(stamp * 1000 + i).padStart(9, '0')}`,
      user_email: `fanout${i}@example.com`,
      total_amount: 100_000,
      payment_status: 'paid',
      order_status: 'processing',
      paid_at: new Date(),
      total_tasks: options.tasksPerOrder,
      active_tasks: options.tasksPerOrder,
    });
    await db.insert(downloadTasks).values(
      Array.from({ length: options.tasksPerOrder }, (_, k) => ({
        order_id: order.insertId,
        title: `Course ${k + 1}`,
        course_url: `http://127.0.0.1:1/${i}/${k}`,
        status: 'downloading' as const,
      })),
    );
    const tasks = await db
      .select({ id: downloadTasks.id })
      .from(downloadTasks)
      .where(eq(downloadTasks.order_id, order.insertId));
    created.push({ orderId: order.insertId, taskIds: tasks.map((task) => task.id) });
  }
  const [admin] = await db.insert(adminUsers).values({
    email: `fanout-viewer-${stamp}@example.com`,
    // Never used to sign in: the sessions below are made directly.
    password_hash: '$argon2id$v=19$m=19456,t=2,p=1$bm9wZQ$bm9wZQ',
    role: 'viewer',
  });
  const cookies: string[] = [];
  const rows: Array<typeof adminSessions.$inferInsert> = [];
  for (let i = 0; i < options.clients; i++) {
    const token = randomBytes(32).toString('base64url');
    cookies.push(`${SESSION_COOKIE}=${token}`);
    rows.push({
      token_hash: hashToken(token),
      user_id: admin.insertId,
      expires_at: new Date(Date.now() + 3_600_000),
    });
  }
  for (let i = 0; i < rows.length; i += 500) await db.insert(adminSessions).values(rows.slice(i, i + 500));
  await seedOrderProgress(options.redis, created, options.tasksPerOrder);
  return { orders: created, cookies };
}

/** The order:{id}:progress a payment publishes (no task has ticked yet), in one pipeline. */
async function seedOrderProgress(
  target: { url: string; prefix: string },
  created: FanoutTopology['orders'],
  totalTasks: number,
): Promise<void> {
  const redis = new Redis(target.url);
  const namespace = redisNamespace(target.prefix);
  try {
    const commands = created.flatMap(({ orderId }) => {
      const [channel, json] = encodeChannelMessage('order', orderId, 'progress', {
        orderId,
        completedTasks: 0,
        failedTasks: 0,
        cancelledTasks: 0,
        totalTasks,
        percent: 0,
        etaSeconds: null,
        timestamp: Date.now(),
      });
      // Published to nobody yet: what stays is its latest value.
      return publishCommands(channel, json, namespace, orderId);
    });
    await redis.pipeline(commands).exec();
  } finally {
    await redis.quit();
  }
}
