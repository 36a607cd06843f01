import { type Db, downloadTasks, orders } from '@paidflow/db';
import { ensureDemoAdmins } from '@paidflow/server/testing';
import { eq } from 'drizzle-orm';

export interface BrowserTopology {
  /** Each order with its task ids; the first is the one the order page opens. */
  orders: Array<{ orderId: number; code: string; taskIds: number[] }>;
}

/**
 * Paid, processing orders whose tasks are all downloading (no outbox rows: nothing runs them but
 * the bench's publisher), and the demo accounts the browser signs in with.
 */
export async function createTopology(db: Db, taskCounts: readonly number[]): Promise<BrowserTopology> {
  const stamp = Date.now() % 1_000_000;
  const created: BrowserTopology['orders'] = [];
  // Oldest first: the list shows the newest first, so the order page's order tops it.
  for (let i = taskCounts.length - 1; i >= 0; i--) {
    const count = taskCounts[i]!;
    const code = `DH${String(stamp * 1000 + i).padStart(9, '0')}`;
    const [order] = await db.insert(orders).values({
      order_code: code,
      user_email: `browser-bench-${i}@example.com`,
      total_amount: 300_000 * count,
      payment_status: 'paid',
      order_status: 'processing',
      paid_at: new Date(),
      created_at: new Date(Date.now() - i * 1000),
      total_tasks: count,
      active_tasks: count,
    });
    await db.insert(downloadTasks).values(
      Array.from({ length: count }, (_, k) => ({
        order_id: order.insertId,
        title: `Course ${k + 1}: building it for real`,
        course_url: `https://courses.example.com/${i}/${k}`,
        status: 'downloading' as const,
      })),
    );
    const tasks = await db
      .select({ id: downloadTasks.id })
      .from(downloadTasks)
      .where(eq(downloadTasks.order_id, order.insertId));
    created.unshift({ orderId: order.insertId, code, taskIds: tasks.map((task) => task.id) });
  }
  await ensureDemoAdmins(db);
  return { orders: created };
}
