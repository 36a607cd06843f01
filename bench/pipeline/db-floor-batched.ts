import { categoryOf, downloadJobId } from '@paidflow/contracts';
import { type Db, downloadTasks, orderAuditLogs, orders, outbox, paymentTransactions } from '@paidflow/db';
import { and, eq, inArray, sql } from 'drizzle-orm';
import mysql from 'mysql2/promise';
import { type FloorOptions, type FloorResult, payInLoops } from './db-floor.ts';

// What the webhook's writes would cost in 3 round trips instead of 9: the same statements as
// db-floor.ts (built by drizzle from the same tables), sent as multi-statement queries on a pool
// of its own. Not the product's path (its pool has no multipleStatements): a measure of what
// round trips cost, for the decision about them.

type Built = { sql: string; params: unknown[] };
const text = (query: { toSQL(): Built }) => {
  const built = query.toSQL();
  return mysql.format(built.sql, built.params as Parameters<typeof mysql.format>[1]);
};

async function payOne(
  pool: mysql.Pool,
  db: Db,
  code: string,
  transactionId: number,
  amount: number,
): Promise<void> {
  const connection = await pool.getConnection();
  try {
    const lock = text(db.select().from(orders).where(eq(orders.order_code, code)).for('update'));
    const [first] = (await connection.query(`BEGIN; ${lock}`)) as unknown as [
      [unknown, Array<{ id: number; payment_status: string; active_tasks: number }>],
    ];
    const order = first[1][0];
    if (!order) throw new Error(`floor: no order ${code}`);
    const insert = text(
      db.insert(paymentTransactions).values({
        provider: 'sepay',
        provider_transaction_id: String(transactionId),
        amount,
        transfer_type: 'in',
        gateway: 'Vietcombank',
        reference_code: `FT${transactionId}`,
        content: `Thanh toan ${code}`,
        raw_payload: { id: transactionId, code, transferAmount: amount, gateway: 'Vietcombank' },
        status: 'applied',
        order_id: order.id,
        processed_at: new Date(),
      }),
    );
    const pending = text(
      db
        .select({ id: downloadTasks.id, generation: downloadTasks.queue_generation })
        .from(downloadTasks)
        .where(and(eq(downloadTasks.order_id, order.id), eq(downloadTasks.status, 'pending')))
        .orderBy(downloadTasks.id),
    );
    const [second] = (await connection.query(`${insert}; ${pending}`)) as unknown as [
      [{ insertId: number }, Array<{ id: number; generation: number }>],
    ];
    const paymentId = second[0].insertId;
    const tasks = second[1];
    const ids = tasks.map((task) => task.id);
    const statements = [
      text(
        db
          .update(downloadTasks)
          .set({
            status: 'queued',
            queue_generation: sql`\`queue_generation\` + 1`,
            run_token: sql`\`run_token\` + 1`,
            run_attempt: null,
          })
          .where(and(inArray(downloadTasks.id, ids), eq(downloadTasks.status, 'pending'))),
      ),
      text(
        db
          .update(orders)
          .set({
            payment_status: 'paid',
            order_status: 'processing',
            paid_at: new Date(),
            active_tasks: sql`\`active_tasks\` + ${ids.length}`,
          })
          .where(eq(orders.id, order.id)),
      ),
      text(
        db.insert(outbox).values(
          tasks.map((task) => ({
            topic: 'download',
            payload: {
              taskId: task.id,
              orderId: order.id,
              jobId: downloadJobId(task.id, task.generation + 1),
              reason: 'payment',
            },
          })),
        ),
      ),
      text(
        db
          .insert(orderAuditLogs)
          .values([
            {
              order_id: order.id,
              event_type: 'payment_received',
              event_category: categoryOf('payment_received'),
              severity: 'info',
              message: `Payment of ${amount} received via Vietcombank; ${ids.length} tasks queued`,
              details: { transactionId, amount, paymentTransactionId: paymentId },
              previous_status: order.payment_status,
              new_status: 'paid',
              source: 'webhook:sepay',
              dedupe_key: `payment_received:sepay:${transactionId}`,
            },
            ...ids.map((taskId) => ({
              order_id: order.id,
              task_id: taskId,
              event_type: 'task_queued' as const,
              event_category: categoryOf('task_queued'),
              severity: 'info' as const,
              message: 'Task queued after payment',
              previous_status: 'pending',
              new_status: 'queued',
              source: 'webhook:sepay',
            })),
          ])
          .onDuplicateKeyUpdate({ set: { id: sql`\`id\`` } }),
      ),
      'COMMIT',
    ];
    await connection.query(statements.join('; '));
  } catch (error) {
    await connection.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    connection.release();
  }
}

/** As dbFloor, in 3 round trips a payment. */
export async function dbFloorBatched(options: FloorOptions & { url: string }): Promise<FloorResult> {
  const pool = mysql.createPool({
    uri: options.url,
    connectionLimit: options.concurrency,
    multipleStatements: true,
    timezone: 'Z',
  });
  try {
    return await payInLoops(options, 'batched floor', 3e9, (code, transactionId) =>
      payOne(pool, options.db, code, transactionId, options.amount),
    );
  } finally {
    await pool.end();
  }
}
