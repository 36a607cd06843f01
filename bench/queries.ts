// npm run bench -- queries [--orders 1000000] [--runs 200] [--naive-runs 10] [--payments-every 4] [--alerts 20000]
//   [--only key,key] (the cases' keys, as in the JSON line)
// Loads N paid orders into its own database (paidflow_bench) unless already loaded, a transfer for
// every 4th of them (the payments inbox) and an alerts history, then times the dashboard queries
// over repeated runs next to the seeds' naive SQL (GROUP BY + OFFSET) and the full count the
// dashboard stats were before their counters (decision 060).
import { parseArgs } from 'node:util';
import {
  dashboardStats,
  errorSummary,
  getOrderDetail,
  listAlerts,
  listAuditLog,
  listPaidOrders,
  listPaymentTransactions,
} from '@paidflow/db';
import { openQueryData } from './lib/query-data.ts';
import { printReport, progressLog } from './lib/report.ts';
import { scalarOf } from './lib/scalar.ts';
import { type Summary, summarize, timeRuns } from './lib/stats.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    orders: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '20' },
    'naive-runs': { type: 'string', default: '10' },
    'payments-every': { type: 'string', default: '4' },
    alerts: { type: 'string', default: '20000' },
    only: { type: 'string' },
  },
});
const target = Number(values.orders);
const runs = Number(values.runs);
const warmup = Number(values.warmup);
const naiveRuns = Number(values['naive-runs']);
const DEEP_ORDERS = 10_000;
const PAGE = 20;

const log = progressLog('queries');
const { handle, counts, loadSeconds, migrateSeconds } = await openQueryData({
  orders: target,
  paymentsEvery: Number(values['payments-every']),
  alerts: Number(values.alerts),
  log,
});
const { db, pool } = handle;
const scalar = (query: string, params: unknown[] = []) => scalarOf(pool, query, params);

// Inputs: the cursor of the page 10,000 orders deep (reached by walking), a customer, an order.
let deepCursor: string | null = null;
for (let seen = 0; seen < DEEP_ORDERS; seen += PAGE) {
  const page = await listPaidOrders(db, { limit: PAGE, cursor: deepCursor ?? undefined });
  deepCursor = page.nextCursor;
}
if (!deepCursor) throw new Error(`fewer than ${DEEP_ORDERS} paid orders: load more with --orders`);
// Setup lookups by primary key: an order from the middle of the data, and a failed one after it.
const middleId = await scalar(
  "SELECT id FROM orders WHERE id >= (SELECT MAX(id) DIV 2 FROM orders) AND payment_status = 'paid' ORDER BY id LIMIT 1",
);
const [emailRows] = await pool.query('SELECT user_email FROM orders WHERE id = ?', [middleId]);
const email = (emailRows as Array<{ user_email: string }>)[0]!.user_email;
const failedOrderId = await scalar(
  "SELECT id FROM orders WHERE id >= ? AND payment_status = 'paid' AND order_status = 'failed' ORDER BY id LIMIT 1",
  [middleId],
);

// A reference code from the middle of the inbox, and its order's code.
const [paymentRows] = await pool.query(
  "SELECT reference_code, order_id, amount FROM payment_transactions WHERE provider = 'bench' AND id >= (SELECT MAX(id) DIV 2 FROM payment_transactions) AND order_id IS NOT NULL ORDER BY id LIMIT 1",
);
const payment = (paymentRows as Array<{ reference_code: string; order_id: number; amount: string }>)[0];
if (!payment) throw new Error('no payments loaded');

// What dashboard.stats ran before decision 060: one pass over every paid order, grouped by status.
const FULL_COUNT_SQL = `SELECT order_status, COUNT(*) FROM orders FORCE INDEX (idx_orders_payment_status_created)
WHERE payment_status = 'paid' GROUP BY order_status`;

const NAIVE_SQL = `SELECT o.id, o.order_code, o.user_email, o.order_status, o.payment_status, o.total_amount, o.created_at,
  COUNT(dt.id) AS total_tasks,
  SUM(CASE WHEN dt.status = 'completed' THEN 1 ELSE 0 END) AS completed_tasks,
  SUM(CASE WHEN dt.status = 'failed' THEN 1 ELSE 0 END) AS failed_tasks,
  ROUND((SUM(CASE WHEN dt.status = 'completed' THEN 1 ELSE 0 END) / COUNT(dt.id)) * 100) AS progress_percentage
FROM orders o LEFT JOIN download_tasks dt ON o.id = dt.order_id
WHERE o.payment_status = 'paid'
GROUP BY o.id ORDER BY o.created_at DESC LIMIT 20 OFFSET ?`;

interface Case {
  key: string;
  label: string;
  ours: boolean;
  run: () => Promise<unknown>;
}
const cases: Case[] = [
  { key: 'first_page', label: 'first page (20)', ours: true, run: () => listPaidOrders(db, { limit: PAGE }) },
  {
    key: 'deep_page',
    label: `page ${DEEP_ORDERS.toLocaleString('en-US')} orders deep (cursor)`,
    ours: true,
    run: () => listPaidOrders(db, { limit: PAGE, cursor: deepCursor! }),
  },
  {
    key: 'status_page',
    label: "status = 'failed' page",
    ours: true,
    run: () => listPaidOrders(db, { limit: PAGE, status: 'failed' }),
  },
  {
    key: 'search_email',
    label: 'search by email',
    ours: true,
    run: () => listPaidOrders(db, { limit: PAGE, search: email }),
  },
  {
    key: 'order_detail',
    label: 'one order with its tasks',
    ours: true,
    run: () => getOrderDetail(db, middleId),
  },
  {
    key: 'audit_by_severity',
    label: 'audit log, severity filter',
    ours: true,
    run: () => listAuditLog(db, { orderId: failedOrderId, severity: ['warning', 'error', 'critical'] }),
  },
  // Extra search shapes: a long code prefix and an email prefix read their own index and sort
  // their matches; a short prefix matching tens of thousands walks the list index instead.
  {
    key: 'search_code_prefix',
    label: 'search code prefix DH1234 (~100)',
    ours: true,
    run: () => listPaidOrders(db, { limit: PAGE, search: 'DH1234' }),
  },
  {
    key: 'search_email_prefix',
    label: 'search email prefix an.nguyen (~1.7k)',
    ours: true,
    run: () => listPaidOrders(db, { limit: PAGE, search: 'an.nguyen' }),
  },
  {
    key: 'search_broad_code',
    label: 'search code prefix DH12 (~10k)',
    ours: true,
    run: () => listPaidOrders(db, { limit: PAGE, search: 'DH12' }),
  },
  {
    key: 'search_broad_email',
    label: 'search email prefix minh (~33k)',
    ours: true,
    run: () => listPaidOrders(db, { limit: PAGE, search: 'minh' }),
  },
  { key: 'dashboard_stats', label: 'dashboard stats (counters)', ours: true, run: () => dashboardStats(db) },
  { key: 'error_summary', label: 'error summary (50, 24 h)', ours: true, run: () => errorSummary(db, {}) },
  {
    key: 'payments_inbox',
    label: 'payments inbox, first page (25)',
    ours: true,
    run: () => listPaymentTransactions(db, {}),
  },
  {
    key: 'payments_attention',
    label: 'payments inbox, needs attention',
    ours: true,
    run: () => listPaymentTransactions(db, { outcome: 'attention' }),
  },
  {
    key: 'payments_search_reference',
    label: 'payments inbox, search a reference code',
    ours: true,
    run: () => listPaymentTransactions(db, { search: payment.reference_code }),
  },
  {
    key: 'payments_search_words',
    label: 'payments inbox, search content words (~6k)',
    ours: true,
    run: () => listPaymentTransactions(db, { search: 'chuyen tien' }),
  },
  {
    key: 'payments_search_common',
    label: 'payments inbox, search words in every transfer',
    ours: true,
    run: () => listPaymentTransactions(db, { search: 'thanh toan' }),
  },
  {
    key: 'payments_search_amount',
    label: 'payments inbox, search an amount',
    ours: true,
    run: () => listPaymentTransactions(db, { search: String(Math.round(Number(payment.amount))) }),
  },
  {
    key: 'alerts_history',
    label: 'alerts history, first page (25)',
    ours: true,
    run: () => listAlerts(db, {}),
  },
  {
    key: 'alerts_resolved_kind',
    label: 'alerts history, resolved of one kind',
    ours: true,
    run: () => listAlerts(db, { state: 'resolved', kind: 'queue_backlog' }),
  },
  {
    key: 'stats_full_count',
    label: 'dashboard stats as full count (before 060)',
    ours: false,
    run: () => pool.query(FULL_COUNT_SQL),
  },
  {
    key: 'naive_first_page',
    label: 'seeds SQL, OFFSET 0',
    ours: false,
    run: () => pool.query(NAIVE_SQL, [0]),
  },
  {
    key: 'naive_deep_page',
    label: `seeds SQL, OFFSET ${DEEP_ORDERS}`,
    ours: false,
    run: () => pool.query(NAIVE_SQL, [DEEP_ORDERS]),
  },
];

const only = values.only ? new Set(values.only.split(',')) : null;
const unknown = [...(only ?? [])].filter((key) => !cases.some((entry) => entry.key === key));
if (unknown.length > 0) throw new Error(`--only: no case ${unknown.join(', ')}`);
const chosen = only ? cases.filter((entry) => only.has(entry.key)) : cases;
const results: Record<string, Summary> = {};
for (const entry of chosen) {
  log(`timing ${entry.label}`);
  const samples = entry.ours
    ? await timeRuns(entry.run, { warmup, runs })
    : await timeRuns(entry.run, { warmup: 1, runs: naiveRuns });
  results[entry.key] = summarize(samples);
}
await handle.close();

// Issue #15 §4: every query of ours under 10 ms p95 at a million orders.
const TARGET_P95_MS = 10;
const core = chosen.filter((entry) => entry.ours).map((entry) => entry.key);
printReport({
  title: `queries over ${counts.orders.toLocaleString('en-US')} orders, ${counts.tasks.toLocaleString('en-US')} tasks, ${counts.events.toLocaleString('en-US')} audit events (ms)`,
  headers: ['query', 'runs', 'p50', 'p95', 'p99', 'max', `target p95 < ${TARGET_P95_MS}`],
  rows: chosen.map((entry) => {
    const r = results[entry.key]!;
    const verdict = core.includes(entry.key) ? (r.p95 < TARGET_P95_MS ? 'ok' : 'MISSED') : '';
    return [entry.label, r.n, r.p50, r.p95, r.p99, r.max, verdict];
  }),
  figures: {
    bench: 'queries',
    data: counts,
    load_seconds: loadSeconds,
    migrate_seconds: migrateSeconds,
    runs,
    naive_runs: naiveRuns,
    target_p95_ms: TARGET_P95_MS,
    all_core_under_target: core.every((key) => results[key]!.p95 < TARGET_P95_MS),
    results,
  },
});
