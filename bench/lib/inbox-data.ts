// The queries benchmark's payments inbox and alerts history: rows written server-side from the
// seeded orders (INSERT ... SELECT), once, so that the two lists are timed over a realistic size.
import { ALERT_KINDS } from '@paidflow/contracts';
import type { Pool } from 'mysql2/promise';
import { scalarOf } from './scalar.ts';

/**
 * One SePay transfer for every `every`-th paid order (applied to it, received when it was paid);
 * one in 40 of them unmatched (no order) and one in 50 underpaid: the inbox's attention rows.
 * Returns how many the table holds.
 */
export async function loadPayments(pool: Pool, every: number): Promise<number> {
  const present = await scalarOf(pool, "SELECT COUNT(*) FROM payment_transactions WHERE provider = 'bench'");
  if (present > 0) return present;
  await pool.query(
    `INSERT INTO payment_transactions
       (provider, provider_transaction_id, order_id, amount, transfer_type, status, gateway, reference_code,
        content, raw_payload, received_at, processed_at)
     SELECT 'bench', CONCAT('bench-', o.id),
       IF(o.id DIV ? % 40 = 0, NULL, o.id),
       IF(o.id DIV ? % 50 = 0, o.total_amount DIV 2, o.total_amount), 'in',
       CASE WHEN o.id DIV ? % 40 = 0 THEN 'unmatched' WHEN o.id DIV ? % 50 = 0 THEN 'underpaid' ELSE 'applied' END,
       'Vietcombank', CONCAT('FT', LPAD(o.id, 10, '0')),
       IF(o.id DIV ? % 40 = 0, CONCAT('chuyen tien ', o.id), CONCAT('Thanh toan ', o.order_code)),
       JSON_OBJECT('id', o.id, 'code', o.order_code, 'transferAmount', o.total_amount, 'gateway', 'Vietcombank'),
       COALESCE(o.paid_at, o.created_at), COALESCE(o.paid_at, o.created_at)
     FROM orders o
     WHERE o.payment_status = 'paid' AND o.id % ? = 0`,
    [every, every, every, every, every, every],
  );
  return scalarOf(pool, "SELECT COUNT(*) FROM payment_transactions WHERE provider = 'bench'");
}

/** `count` resolved alerts over the orders' time span (kinds in turn), and a few firing. */
export async function loadAlerts(pool: Pool, count: number): Promise<number> {
  const present = await scalarOf(pool, 'SELECT COUNT(*) FROM alerts');
  if (present > 0) return present;
  const kinds = ALERT_KINDS.map((kind) => `'${kind}'`).join(', ');
  await pool.query(
    `INSERT INTO alerts (kind, subject, open_key, severity, message, details, raised_at, last_seen_at, resolved_at)
     SELECT ELT(1 + o.id % ${ALERT_KINDS.length}, ${kinds}), CONCAT('server-', o.id % 7), NULL,
       ELT(1 + o.id % 3, 'warning', 'error', 'critical'), CONCAT('bench alert for order ', o.id),
       JSON_OBJECT('order', o.id), o.created_at, o.created_at + INTERVAL 5 MINUTE, o.created_at + INTERVAL 10 MINUTE
     FROM orders o WHERE o.id % 50 = 0 ORDER BY o.id LIMIT ?`,
    [count],
  );
  // Firing ones: open_key is unique per kind and subject.
  await pool.query(
    `UPDATE alerts SET open_key = CONCAT(kind, ':', subject), resolved_at = NULL
     WHERE id IN (SELECT id FROM (SELECT MAX(id) AS id FROM alerts GROUP BY kind) newest)`,
  );
  return scalarOf(pool, 'SELECT COUNT(*) FROM alerts');
}
