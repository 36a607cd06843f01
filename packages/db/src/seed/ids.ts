import { randomBytes } from 'node:crypto';
import type { PoolConnection } from 'mysql2/promise';
import { DEFER_ORDER_COUNTS_VARIABLE } from '../queries/stats-counters.ts';
import { seedOrderCode } from './order-story.ts';

/**
 * Reserves `count` order ids that no other writer can take, so that the seed may add to a
 * database in use: the auto-increment counter hands them to placeholder rows in a transaction
 * that is then rolled back. InnoDB never hands out an auto-increment value twice, rolled back or
 * not, and nothing is ever visible to anyone. Ids whose seed order code a live order already
 * holds are skipped. Ascending; not always consecutive. The placeholders never count in
 * order_status_counts: the triggers stand aside for them (they are rolled back anyway, and would
 * otherwise hold counter rows that the batch being written needs).
 */
export async function reserveOrderIds(connection: PoolConnection, count: number): Promise<number[]> {
  const ids: number[] = [];
  while (ids.length < count) {
    const fresh = await reserve(connection, count - ids.length);
    const [rows] = await connection.query('SELECT order_code FROM orders WHERE order_code IN (?)', [
      fresh.map(seedOrderCode),
    ]);
    const taken = new Set((rows as Array<{ order_code: string }>).map((row) => row.order_code));
    ids.push(...fresh.filter((id) => !taken.has(seedOrderCode(id))));
  }
  return ids.sort((a, b) => a - b);
}

async function reserve(connection: PoolConnection, count: number): Promise<number[]> {
  const marker = `~seed-${randomBytes(6).toString('hex')}-`;
  const rows = Array.from({ length: count }, (_, i) => [`${marker}${i}`, '', 0]);
  await connection.beginTransaction();
  try {
    await connection.query(`SET ${DEFER_ORDER_COUNTS_VARIABLE} = 1`);
    await connection.query('INSERT INTO orders (order_code, user_email, total_amount) VALUES ?', [rows]);
    const [found] = await connection.query('SELECT id FROM orders WHERE order_code LIKE ? ORDER BY id', [
      `${marker}%`,
    ]);
    return (found as Array<{ id: number }>).map((row) => Number(row.id));
  } finally {
    await connection.rollback();
    await connection.query(`SET ${DEFER_ORDER_COUNTS_VARIABLE} = NULL`);
  }
}
