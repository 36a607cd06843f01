import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createDb } from '@paidflow/db';
import { createTestDatabase } from '@paidflow/db/testing';
import { summarize } from '../lib/stats.ts';
import { startCpuMeter } from './cpu.ts';
import { dbFloor } from './db-floor.ts';
import { dbFloorBatched } from './db-floor-batched.ts';
import { startStatementMeter, statementText } from './statements.ts';
import { seedPendingOrders, sendWebhooks } from './webhooks.ts';

const HMAC_SERVER = fileURLToPath(new URL('./hmac-server.ts', import.meta.url));

/** The bare node:http + HMAC endpoint in a child process (as the real server is one). */
async function startHmacServer(secret: string): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', HMAC_SERVER], {
    env: { ...process.env, WEBHOOK_SECRET: secret },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout! });
  const [first] = (await once(lines, 'line')) as [string];
  lines.close();
  const { port } = JSON.parse(first) as { port: number };
  return {
    url: `http://127.0.0.1:${port}/webhooks/payment`,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

type FloorOptions = { secret: string; amount: number; concurrency: number; seconds: number };

/** (b) HTTP + HMAC: the same signed requests from the same senders, to an endpoint doing nothing else. */
export async function measureHmacFloor(options: FloorOptions) {
  const server = await startHmacServer(options.secret);
  try {
    // Codes only name the body; nothing is paid. Enough for the rate it runs at.
    const codes = Array.from({ length: 200_000 }, (_, i) => `DH${String(i).padStart(10, '0')}`);
    const send = (seconds: number) => sendWebhooks({ ...options, url: server.url, codes, seconds });
    await send(2);
    const cpuMeter = await startCpuMeter(server.pid);
    const load = await send(options.seconds);
    const cpu = await cpuMeter.stop(load.accepted);
    return { ...load, cpu, latency: summarize(load.latenciesMs) };
  } finally {
    await server.stop();
  }
}

/** (a) The database alone: the webhook's packages/db calls from `concurrency` callers on one pool. */
export async function measureDbFloor(options: FloorOptions & { orders: number }) {
  await using tdb = await createTestDatabase('bench_db_floor');
  const codes = await seedPendingOrders(tdb.db, options.orders, options.amount);
  // A pool as large as the callers: the database's ceiling, not the pool's.
  const handle = createDb({ url: tdb.url, connectionLimit: options.concurrency });
  try {
    const run = (seconds: number) => dbFloor({ ...options, db: handle.db, codes, seconds });
    await run(1);
    const meter = await startStatementMeter(tdb.pool);
    // No server here: the callers are this process ("senders").
    const cpuMeter = await startCpuMeter(process.pid);
    const load = await run(options.seconds);
    const cpu = await cpuMeter.stop(load.paid);
    const statements = await meter.stop(load.paid);
    // The same writes in 3 round trips (multi-statement queries): what the 9 round trips cost.
    const batchedRun = (seconds: number) =>
      dbFloorBatched({ ...options, url: tdb.url, db: handle.db, codes, seconds });
    await batchedRun(1);
    const batchedCpu = await startCpuMeter(process.pid);
    const batched = await batchedRun(options.seconds);
    const batchedCpuMs = await batchedCpu.stop(batched.paid);
    return {
      ...load,
      statements,
      cpu,
      latency: summarize(load.latenciesMs),
      batched: { ...batched, cpu: batchedCpuMs, latency: summarize(batched.latenciesMs) },
    };
  } finally {
    await handle.close();
  }
}

type Row = Array<string | number | null>;
const round = (value: number) => Math.round(value * 10) / 10;

/** The floors' rows (next to the real endpoint's) and figures. */
export function floorReport(
  rows: Row[],
  figures: Record<string, unknown>,
  floors: {
    hmac: Awaited<ReturnType<typeof measureHmacFloor>>;
    db: Awaited<ReturnType<typeof measureDbFloor>>;
  },
  concurrency: number,
): void {
  const { hmac, db } = floors;
  rows.push(
    [
      'floor: node:http + HMAC only, req/s',
      round(hmac.accepted / hmac.seconds),
      hmac.latency.p50,
      hmac.latency.p99,
      `${concurrency} senders, ${hmac.accepted} ok, ${hmac.rejected} rejected, ${hmac.errors} errors; CPU ms each: endpoint ${hmac.cpu.server_ms}, senders ${hmac.cpu.senders_ms}`,
    ],
    [
      'floor: webhook DB calls only, payments/s',
      round(db.paid / db.seconds),
      db.latency.p50,
      db.latency.p99,
      `${concurrency} callers, ${db.errors} errors${db.exhausted ? ', orders exhausted' : ''}; each ${statementText(db.statements)}; CPU ms each: callers ${db.cpu.server_ms}, MySQL ${db.cpu.mysql_ms ?? '?'}`,
    ],
  );
  const { batched } = db;
  rows.push([
    'floor: same DB writes in 3 round trips',
    round(batched.paid / batched.seconds),
    batched.latency.p50,
    batched.latency.p99,
    `multi-statement queries (not the product's pool), ${batched.errors} errors${batched.exhausted ? ', orders exhausted' : ''}; CPU ms each: callers ${batched.cpu.server_ms}, MySQL ${batched.cpu.mysql_ms ?? '?'}`,
  ]);
  Object.assign(figures, {
    floor_db_3_round_trips_per_s: round(batched.paid / batched.seconds),
    floor_db_3_round_trips_latency_ms: batched.latency,
    floor_db_3_round_trips_cpu_ms: { callers_ms: batched.cpu.server_ms, mysql_ms: batched.cpu.mysql_ms },
    floor_hmac_per_s: round(hmac.accepted / hmac.seconds),
    floor_hmac_latency_ms: hmac.latency,
    floor_hmac_errors: hmac.errors + hmac.rejected,
    floor_hmac_cpu_ms: { endpoint_ms: hmac.cpu.server_ms, senders_ms: hmac.cpu.senders_ms },
    floor_db_per_s: round(db.paid / db.seconds),
    floor_db_latency_ms: db.latency,
    floor_db_errors: db.errors,
    floor_db_statements_per_payment: db.statements,
    floor_db_cpu_ms: { callers_ms: db.cpu.server_ms, mysql_ms: db.cpu.mysql_ms },
  });
}
