// npm run bench -- pipeline [--pickup-jobs 200] [--pickup-seconds 40] [--poll-seconds 10]
//                           [--io-jobs-per-slot 10] [--io-ms 1000] [--webhook-seconds 10]
//                           [--webhook-concurrency 16] [--webhook-orders 6000] [--phases pickup,io,webhooks]
// Three figures of the pipeline, in one run:
// 1. pickup latency (job added -> handler starts), p50/p99, of a BullMQ worker next to the seeds'
//    old design, a worker polling MySQL every 10 s for queued rows; both get the same arrivals,
//    spread at random over the window;
// 2. throughput of I/O-bound jobs (each streams a throttled file from the course source with the
//    worker's download step) at concurrency 1 and 10;
// 3. signed webhooks accepted per second, with p50/p99 response times, against the real server
//    (a child process with a database of its own, seeded with pending orders).
// Prints a table, then one JSON line of every figure as the last line.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { startCourseSource } from '@paidflow/course-source';
import { createTestDatabase } from '@paidflow/db/testing';
import { deleteRedisPrefix } from '@paidflow/server/testing';
import { fetchManifest } from '@paidflow/worker/testing';
import { printReport, progressLog } from './lib/report.ts';
import { startServerProcess } from './lib/server-process.ts';
import { summarize } from './lib/stats.ts';
import { sleep } from './lib/wait.ts';
import { startCpuMeter } from './pipeline/cpu.ts';
import { floorReport, measureDbFloor, measureHmacFloor } from './pipeline/floors.ts';
import { arrivalSchedule, bullmqPickup, mysqlPollingPickup, runArrivals } from './pipeline/pickup.ts';
import { redisCommandText, startRedisCommandMeter } from './pipeline/redis-commands.ts';
import { startStatementMeter, statementText } from './pipeline/statements.ts';
import { ioThroughput } from './pipeline/throughput.ts';
import { seedPendingOrders, sendWebhooks } from './pipeline/webhooks.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    'pickup-jobs': { type: 'string', default: '200' },
    'pickup-seconds': { type: 'string', default: '40' },
    'poll-seconds': { type: 'string', default: '10' },
    /** Jobs per concurrency slot: 10 jobs at concurrency 1, 100 at concurrency 10 (ten waves each). */
    'io-jobs-per-slot': { type: 'string', default: '10' },
    'io-ms': { type: 'string', default: '1000' },
    'webhook-seconds': { type: 'string', default: '10' },
    'webhook-concurrency': { type: 'string', default: '16' },
    'webhook-orders': { type: 'string', default: '6000' },
    /** Skips the two floors (HMAC-only endpoint, DB calls only): `--floors no`. */
    floors: { type: 'string', default: 'yes' },
    /** Writes a --cpu-prof of the server under test into this directory. */
    'server-cpu-prof': { type: 'string' },
    /** Orders the database floor (the webhook's DB calls with no HTTP) may pay. */
    'floor-orders': { type: 'string', default: '30000' },
    /** A subset of the phases, e.g. `--phases webhooks` (the table then shows only those). */
    phases: { type: 'string', default: 'pickup,io,webhooks' },
  },
});
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `bench-${randomUUID()}`;
const SECRET = 'bench-webhook-secret-0123456789';
const AMOUNT = 200_000;

const log = progressLog('pipeline');

async function measurePickup() {
  const jobs = Number(values['pickup-jobs']);
  const windowMs = Number(values['pickup-seconds']) * 1000;
  const pollMs = Number(values['poll-seconds']) * 1000;
  await using tdb = await createTestDatabase('bench_baseline');
  const bull = await bullmqPickup({ redisUrl: REDIS_URL, prefix: `${PREFIX}:bull`, concurrency: 10 });
  const baseline = await mysqlPollingPickup({ pool: tdb.pool, intervalMs: pollMs });
  log(
    `pickup: ${jobs} arrivals over ${windowMs / 1000} s, to BullMQ and to the MySQL poller (every ${pollMs / 1000} s)`,
  );
  await runArrivals(arrivalSchedule(jobs, windowMs), async () => {
    await Promise.all([bull.add(0), baseline.add()]);
  });
  await baseline.drain();
  while (bull.samples.length < jobs) await sleep(50);
  await bull.close();
  return { bullmq: summarize(bull.samples), polling: summarize(baseline.samples) };
}

async function measureThroughput() {
  const perSlot = Number(values['io-jobs-per-slot']);
  const ioMs = Number(values['io-ms']);
  const source = await startCourseSource();
  try {
    // One file per job, throttled so that its download takes `ioMs`.
    const bytesPerSecond = 512 * 1024;
    const size = Math.round((bytesPerSecond * ioMs) / 1000);
    const manifest = await fetchManifest(
      source.manifestUrl('bench-io', { files: 1, size, bps: bytesPerSecond }),
      {
        signal: new AbortController().signal,
        timeoutMs: 10_000,
      },
    );
    const file = manifest.files[0]!;
    const results: Record<number, { seconds: number; jobsPerSecond: number }> = {};
    for (const concurrency of [1, 10]) {
      const jobs = perSlot * concurrency;
      log(
        `throughput: ${jobs} I/O-bound jobs (${size} bytes at ${bytesPerSecond} B/s each), concurrency ${concurrency}`,
      );
      results[concurrency] = await ioThroughput({
        redisUrl: REDIS_URL,
        prefix: `${PREFIX}:bull`,
        concurrency,
        jobs,
        file,
      });
    }
    return { perSlot, ioMs, c1: results[1]!, c10: results[10]! };
  } finally {
    await source.close();
  }
}

async function measureWebhooks() {
  await using tdb = await createTestDatabase('bench_webhooks');
  const count = Number(values['webhook-orders']);
  log(`webhooks: seeding ${count} pending orders`);
  const codes = await seedPendingOrders(tdb.db, count, AMOUNT);
  const server = await startServerProcess(
    { DATABASE_URL: tdb.url, REDIS_URL, REDIS_PREFIX: PREFIX, WEBHOOK_SECRETS: SECRET },
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      nodeArgs: values['server-cpu-prof']
        ? ['--cpu-prof', `--cpu-prof-dir=${values['server-cpu-prof']}`]
        : [],
    },
  );
  const base = server.baseUrl;
  try {
    const concurrency = Number(values['webhook-concurrency']);
    const seconds = Number(values['webhook-seconds']);
    // A short warm-up (connections, JIT), not counted.
    await sendWebhooks({
      url: `${base}/webhooks/payment`,
      secret: SECRET,
      codes: codes.splice(0, 100),
      amount: AMOUNT,
      concurrency,
      seconds: 2,
    });
    log(`webhooks: ${concurrency} concurrent senders for ${seconds} s`);
    const [meter, redisMeter] = await Promise.all([
      startStatementMeter(tdb.pool),
      startRedisCommandMeter(REDIS_URL),
    ]);
    const cpuMeter = await startCpuMeter(server.pid);
    const load = await sendWebhooks({
      url: `${base}/webhooks/payment`,
      secret: SECRET,
      codes,
      amount: AMOUNT,
      concurrency,
      seconds,
    });
    const cpu = await cpuMeter.stop(load.accepted);
    const statements = await meter.stop(load.accepted);
    const redis = await redisMeter.stop(load.accepted);
    return { concurrency, ...load, statements, redis, cpu, latency: summarize(load.latenciesMs) };
  } finally {
    await server.stop();
  }
}

/** The two ceilings the real endpoint is read against, with its senders and duration. */
async function measureFloors() {
  const options = {
    secret: SECRET,
    amount: AMOUNT,
    concurrency: Number(values['webhook-concurrency']),
    seconds: Number(values['webhook-seconds']),
  };
  log(`floors: bare node:http + HMAC endpoint, ${options.concurrency} senders for ${options.seconds} s`);
  const hmac = await measureHmacFloor(options);
  log(`floors: the webhook's packages/db calls, ${options.concurrency} callers for ${options.seconds} s`);
  const db = await measureDbFloor({ ...options, orders: Number(values['floor-orders']) });
  return { hmac, db };
}

type Row = Array<string | number | null>;
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

async function pickupReport(rows: Row[], figures: Record<string, unknown>): Promise<void> {
  const pickup = await measurePickup();
  rows.push(
    ['pickup latency, BullMQ worker', null, pickup.bullmq.p50, pickup.bullmq.p99, `${pickup.bullmq.n} jobs`],
    [
      `pickup latency, MySQL poll every ${values['poll-seconds']} s`,
      null,
      pickup.polling.p50,
      pickup.polling.p99,
      `${pickup.polling.n} rows`,
    ],
  );
  Object.assign(figures, {
    pickup_bullmq_ms: pickup.bullmq,
    pickup_mysql_poll_ms: pickup.polling,
    pickup_p50_ratio: round(pickup.polling.p50 / Math.max(pickup.bullmq.p50, 0.01), 0),
  });
}

async function ioReport(rows: Row[], figures: Record<string, unknown>): Promise<void> {
  const throughput = await measureThroughput();
  const speedup = throughput.c10.jobsPerSecond / throughput.c1.jobsPerSecond;
  rows.push(
    [
      'I/O jobs/s, concurrency 1',
      round(throughput.c1.jobsPerSecond),
      null,
      null,
      `${throughput.perSlot} jobs of ${throughput.ioMs} ms`,
    ],
    [
      'I/O jobs/s, concurrency 10',
      round(throughput.c10.jobsPerSecond),
      null,
      null,
      `${throughput.perSlot * 10} jobs of ${throughput.ioMs} ms`,
    ],
    ['speed-up 10 vs 1', round(speedup), null, null, 'target >= 9'],
  );
  Object.assign(figures, {
    io_jobs_c1: throughput.perSlot,
    io_jobs_c10: throughput.perSlot * 10,
    io_job_ms: throughput.ioMs,
    io_jobs_per_s_c1: round(throughput.c1.jobsPerSecond),
    io_jobs_per_s_c10: round(throughput.c10.jobsPerSecond),
    io_speedup_10_vs_1: round(speedup),
  });
}

async function webhookReport(rows: Row[], figures: Record<string, unknown>): Promise<void> {
  const floors = values.floors === 'no' ? null : await measureFloors();
  const webhooks = await measureWebhooks();
  const acceptedPerSecond = webhooks.accepted / webhooks.seconds;
  if (floors) floorReport(rows, figures, floors, webhooks.concurrency);
  rows.push(
    [
      'signed webhooks accepted/s',
      round(acceptedPerSecond, 1),
      webhooks.latency.p50,
      webhooks.latency.p99,
      `${webhooks.concurrency} senders, ${webhooks.accepted} ok, ${webhooks.rejected} rejected, ${webhooks.errors} errors${webhooks.exhausted ? ', orders exhausted' : ''}`,
    ],
    [
      'webhook round trips (statements) each',
      webhooks.statements.Questions,
      null,
      null,
      `${statementText(webhooks.statements)}, the outbox drainer's included`,
    ],
    ['Redis commands each', webhooks.redis.total, null, null, redisCommandText(webhooks.redis)],
    [
      'CPU ms per webhook: server',
      webhooks.cpu.server_ms,
      null,
      null,
      `senders ${webhooks.cpu.senders_ms} ms, MySQL ${webhooks.cpu.mysql_ms ?? '?'} ms (all of it, whoever asked)`,
    ],
  );
  Object.assign(figures, {
    webhook_concurrency: webhooks.concurrency,
    webhooks_accepted: webhooks.accepted,
    webhooks_rejected: webhooks.rejected,
    webhook_errors: webhooks.errors,
    webhooks_accepted_per_s: round(acceptedPerSecond, 1),
    webhook_latency_ms: webhooks.latency,
    webhook_statements_per_webhook: webhooks.statements,
    webhook_redis_commands_per_webhook: webhooks.redis,
    webhook_cpu_ms_per_webhook: webhooks.cpu,
  });
}

const PHASES: Record<string, (rows: Row[], figures: Record<string, unknown>) => Promise<void>> = {
  pickup: pickupReport,
  io: ioReport,
  webhooks: webhookReport,
};

try {
  const rows: Row[] = [];
  const figures: Record<string, unknown> = {};
  for (const phase of values.phases.split(',').map((name) => name.trim())) {
    const run = PHASES[phase];
    if (!run) throw new Error(`unknown phase ${phase}: use ${Object.keys(PHASES).join(', ')}`);
    await run(rows, figures);
  }
  printReport({
    title: 'Pipeline benchmark',
    headers: ['measure', 'value', 'p50 ms', 'p99 ms', 'notes'],
    rows,
    figures,
  });
} finally {
  await deleteRedisPrefix(REDIS_URL, PREFIX);
}
