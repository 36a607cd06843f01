// npm run bench -- archive [--rows 1000000] [--batch 1000] [--pause-ms 20] [--file-rows 100000]
//                          [--baseline-seconds 5]
// Audit retention under load (decision 055): loads N old audit rows into a database of its own
// (paidflow_bench_archive, dropped after), then archives them to gzip NDJSON files and deletes
// them in batches while a writer (another process) appends audit events one after another,
// timing each write. The
// figure that matters is the longest write: the live table must never be locked for long
// (target under 100 ms). Prints a table, then one JSON line of every figure as the last line.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createDb, dropDatabase, migrateDatabase } from '@paidflow/db';
import { createLogger } from '@paidflow/runtime';
import { archiveAuditOnce } from '@paidflow/server/testing';
import { printReport, progressLog } from './lib/report.ts';
import { scalarOf } from './lib/scalar.ts';
import { summarize } from './lib/stats.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    rows: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: '1000' },
    'pause-ms': { type: 'string', default: '20' },
    'file-rows': { type: 'string', default: '100000' },
    'baseline-seconds': { type: 'string', default: '5' },
  },
});
const target = Number(values.rows);
const batch = Number(values.batch);
const pauseMs = Number(values['pause-ms']);
const fileRows = Number(values['file-rows']);
const baselineMs = Number(values['baseline-seconds']) * 1000;
const TARGET_MAX_MS = 100;
const ORDERS = 200;
const DAY = 86_400_000;
const log = progressLog('archive');

function benchUrl(): string {
  const url = new URL(
    process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/paidflow',
  );
  url.pathname = '/paidflow_bench_archive';
  return url.toString();
}

const url = benchUrl();
await dropDatabase(url);
await migrateDatabase(url);
const handle = createDb({ url, connectionLimit: 4 });
const { db, pool } = handle;
const dir = await mkdtemp(path.join(tmpdir(), 'paidflow-bench-archive-'));

const scalar = (query: string) => scalarOf(pool, query);

// Load: orders, then 1,000 old audit rows doubled by INSERT … SELECT until the target (seconds).
const loadStart = Date.now();
const orderValues = Array.from(
  { length: ORDERS },
  (_, i) => `('DHB${String(i).padStart(6, '0')}', 'bench@example.com', 100000, 'paid', 'completed')`,
);
await pool.query(
  `INSERT INTO orders (order_code, user_email, total_amount, payment_status, order_status) VALUES ${orderValues.join(',')}`,
);
const firstOrder = await scalar('SELECT MIN(id) FROM orders');
const seedRows = Array.from({ length: Math.min(1000, target) }, (_, i) => {
  const at = new Date(Date.now() - 60 * DAY + i * 60_000).toISOString().slice(0, 23).replace('T', ' ');
  const details = JSON.stringify({ bytes: i * 1024, file: `lesson-${i}.mp4` });
  return `(${firstOrder + (i % ORDERS)}, 'download_started', 'download', 'info', 'Downloading lesson ${i}', '${details}', 'worker', '${at}')`;
});
const COLUMNS = 'order_id, event_type, event_category, severity, message, details, source, created_at';
await pool.query(`INSERT INTO order_audit_logs (${COLUMNS}) VALUES ${seedRows.join(',')}`);
for (let rows = seedRows.length; rows < target; ) {
  const take = Math.min(rows, target - rows);
  await pool.query(
    `INSERT INTO order_audit_logs (${COLUMNS}) SELECT ${COLUMNS} FROM order_audit_logs ORDER BY id LIMIT ${take}`,
  );
  rows += take;
  log(`loaded ${rows.toLocaleString('en-US')} audit rows`);
}
const loaded = await scalar('SELECT COUNT(*) FROM order_audit_logs');
const loadSeconds = Math.round((Date.now() - loadStart) / 100) / 10;

// The writer runs in its own process (archive/writer.ts); this one's event loop is watched too.
const writer = fork(
  fileURLToPath(new URL('./archive/writer.ts', import.meta.url)),
  [url, String(firstOrder), String(ORDERS)],
  {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  },
);
await once(writer, 'message');

async function timedWrites(during: () => Promise<unknown>): Promise<number[]> {
  writer.send('start');
  await during();
  writer.send('stop');
  const [reply] = (await once(writer, 'message')) as [{ samples: number[] }];
  return reply.samples;
}

log(`baseline: ${baselineMs / 1000} s of writes with no archiving`);
const baseline = summarize(
  await timedWrites(() => new Promise((resolve) => setTimeout(resolve, baselineMs))),
);

log(`archiving ${loaded.toLocaleString('en-US')} rows while the writer appends`);
const lag = monitorEventLoopDelay({ resolution: 10 });
let result: Awaited<ReturnType<typeof archiveAuditOnce>> | undefined;
const archiveStart = Date.now();
const duringSamples = await timedWrites(async () => {
  lag.enable();
  result = await archiveAuditOnce(
    { db, logger: createLogger('silent') },
    { dir, cutoff: new Date(Date.now() - DAY), batch, pauseMs, fileRows },
  );
  lag.disable();
});
const archiveSeconds = (Date.now() - archiveStart) / 1000;
const during = summarize(duringSamples);
writer.send('exit');
if (!result) throw new Error('the archive pass did not finish');
const archivedRows = result.files.reduce((sum, file) => sum + file.rows, 0);
const bytes = result.files.reduce((sum, file) => sum + file.bytes, 0);
const left = await scalar("SELECT COUNT(*) FROM order_audit_logs WHERE source <> 'bench'");

await handle.close();
await dropDatabase(url);
await rm(dir, { recursive: true, force: true });

const round = (value: number) => Math.round(value * 10) / 10;
printReport({
  title: `audit archive of ${loaded.toLocaleString('en-US')} rows under live writes (batch ${batch}, pause ${pauseMs} ms): write latency (ms)`,
  headers: ['phase', 'writes', 'p50', 'p99', 'max', `target max < ${TARGET_MAX_MS}`],
  rows: [
    ['no archiving', baseline.n, baseline.p50, baseline.p99, baseline.max, ''],
    [
      'while archiving',
      during.n,
      during.p50,
      during.p99,
      during.max,
      during.max < TARGET_MAX_MS ? 'ok' : 'MISSED',
    ],
  ],
  figures: {
    bench: 'archive',
    rows_loaded: loaded,
    load_seconds: loadSeconds,
    rows_archived: archivedRows,
    rows_deleted: result.deleted,
    old_rows_left: left,
    archive_seconds: round(archiveSeconds),
    rows_per_second: Math.round(archivedRows / archiveSeconds),
    files: result.files.length,
    file_bytes: bytes,
    bytes_per_row: round(bytes / Math.max(1, archivedRows)),
    batch,
    pause_ms: pauseMs,
    write_baseline: baseline,
    write_during: during,
    archiver_event_loop_max_ms: round(lag.max / 1e6),
    longest_write_ms: during.max,
    target_max_ms: TARGET_MAX_MS,
    under_target: during.max < TARGET_MAX_MS,
  },
});
