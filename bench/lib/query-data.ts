// The queries benchmark's data set, in its own database (paidflow_bench): migrated, loaded (or
// topped up) to the target of paid orders once, with the payments inbox and the alerts history.
// A database that already holds the target is reused, so a second run starts timing at once.
import { createDb, type DbHandle, migrateDatabase } from '@paidflow/db';
import { seedDatabase } from '@paidflow/db/seed';
import { loadAlerts, loadPayments } from './inbox-data.ts';
import { scalarOf } from './scalar.ts';

export interface QueryDataOptions {
  /** Paid orders to hold. */
  orders: number;
  /** One transfer for every n-th paid order. */
  paymentsEvery: number;
  /** Rows of alerts history. */
  alerts: number;
  log: (line: string) => void;
}

export interface QueryData {
  handle: DbHandle;
  counts: { payments: number; alerts: number; orders: number; tasks: number; events: number };
  /** Seconds the load took, or null when the data was already there. */
  loadSeconds: number | null;
  migrateSeconds: number;
}

function benchUrl(): string {
  if (process.env.BENCH_DATABASE_URL) return process.env.BENCH_DATABASE_URL;
  // As the owner: the benchmark creates its database, seeds and analyzes (docs/security.md).
  const url = new URL(
    process.env.MIGRATION_DATABASE_URL || process.env.DATABASE_URL || 'mysql://root@127.0.0.1:3306/paidflow',
  );
  url.pathname = '/paidflow_bench';
  return url.toString();
}

const tenths = (ms: number) => Math.round(ms / 100) / 10;

export async function openQueryData(options: QueryDataOptions): Promise<QueryData> {
  const { log } = options;
  const url = benchUrl();
  log('migrating (a new index on a loaded database takes a while)');
  const migrateStarted = Date.now();
  await migrateDatabase(url);
  const migrateSeconds = tenths(Date.now() - migrateStarted);
  const handle = createDb({ url, connectionLimit: 4 });
  const { pool } = handle;
  let loadSeconds: number | null = null;
  const present = await scalarOf(pool, "SELECT COUNT(*) FROM orders WHERE payment_status = 'paid'");
  if (present < options.orders) {
    log(
      `database has ${present} paid orders; loading ${options.orders - present} more (this takes minutes at 1M)`,
    );
    const result = await seedDatabase(handle, {
      orders: options.orders - present,
      seed: 42 + present,
      paidShare: 1,
      onProgress: (p) =>
        log(`${p.orders}/${p.total} orders, ${p.events} events, ${(p.elapsedMs / 1000).toFixed(0)} s`),
    });
    loadSeconds = tenths(result.elapsedMs);
    await pool.query('ANALYZE TABLE orders, download_tasks, order_audit_logs');
  }
  log('loading the payments inbox and the alerts history (once)');
  const payments = await loadPayments(pool, options.paymentsEvery);
  const alerts = await loadAlerts(pool, options.alerts);
  if (loadSeconds !== null || payments > 0) await pool.query('ANALYZE TABLE payment_transactions, alerts');
  const counts = {
    payments,
    alerts,
    orders: await scalarOf(pool, 'SELECT COUNT(*) FROM orders'),
    tasks: await scalarOf(pool, 'SELECT COUNT(*) FROM download_tasks'),
    events: await scalarOf(pool, 'SELECT COUNT(*) FROM order_audit_logs'),
  };
  log(
    `data: ${counts.orders} orders, ${counts.tasks} tasks, ${counts.events} audit events, ${counts.payments} payments, ${counts.alerts} alerts`,
  );
  return { handle, counts, loadSeconds, migrateSeconds };
}
