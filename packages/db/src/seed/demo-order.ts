import { randomInt } from 'node:crypto';
import type { Db } from '../client.ts';
import { isDuplicateKeyError } from '../errors.ts';
import { appendAuditEvents } from '../queries/audit.ts';
import { insertTasks } from '../queries/tasks.ts';
import { orders } from '../schema.ts';
import { COURSE_CATALOG, customerEmail, customerPriority } from './catalog.ts';

/**
 * Places a new pending order, as the shop's checkout would: a customer buys one to four courses
 * of the demo catalog, each a task pointing at the course source. The demo sender pays these once
 * the seeded pending orders are used up, so `npm start` keeps moving.
 */
export async function placeDemoOrder(
  db: Db,
  options: { courseBase: string },
): Promise<{ id: number; order_code: string }> {
  const picks = [...COURSE_CATALOG].sort(() => Math.random() - 0.5).slice(0, randomInt(1, 5));
  const total = picks.reduce((sum, course) => sum + course.price, 0);
  return db.transaction(async (tx) => {
    for (let attempt = 0; ; attempt++) {
      const orderCode = `DH${randomInt(10_000_000, 100_000_000)}`;
      const customer = randomInt(0, 5_000);
      try {
        const [result] = await tx.insert(orders).values({
          order_code: orderCode,
          user_email: customerEmail(customer),
          priority: customerPriority(customer),
          total_amount: total,
        });
        const orderId = result.insertId;
        await insertTasks(
          tx,
          orderId,
          picks.map((course) => ({
            title: course.title,
            course_url: `${options.courseBase}/${course.slug}/manifest.json`,
          })),
        );
        await appendAuditEvents(tx, [
          {
            order_id: orderId,
            event_type: 'order_created',
            message: `Order ${orderCode} placed: ${picks.length} course(s), ${total} VND`,
            details: { courses: picks.map((course) => course.slug), total },
            new_status: 'pending',
            source: 'demo-shop',
          },
        ]);
        return { id: orderId, order_code: orderCode };
      } catch (error) {
        // A colliding random code: draw again (rarely more than once).
        if (!isDuplicateKeyError(error) || attempt >= 5) throw error;
      }
    }
  });
}
