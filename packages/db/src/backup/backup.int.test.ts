import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createDb, type DbHandle } from '../client.ts';
import { dropDatabase } from '../migrate.ts';
import { appendAuditEvents } from '../queries/audit.ts';
import { checkOrderCounters, tableRowCounts } from '../queries/consistency.ts';
import { withTransaction } from '../queries/order-state.ts';
import { recordPaymentTransaction } from '../queries/payments.ts';
import { transitionTask } from '../queries/tasks.ts';
import { downloadTasks, orders, paymentTransactions } from '../schema.ts';
import { placeDemoOrder } from '../seed/demo-order.ts';
import { createTestDatabase, type TestDatabase } from '../testing.ts';
import { backupDatabase } from './backup.ts';
import { childEnv } from './mysql-client.ts';
import { RestoreRefusedError, restoreDatabase } from './restore.ts';

const PACKAGE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TSX = path.join(PACKAGE, 'node_modules/.bin/tsx');
const WRITTEN = ['orders', 'download_tasks', 'order_audit_logs'] as const;
type State = Record<(typeof WRITTEN)[number], number> & { maxOrderId: number; maxAuditId: number };

let tdb: TestDatabase;
let dir: string;
const restored: string[] = [];
const RAW = randomBytes(4096);

function serverUrl(database: string): string {
  const url = new URL(tdb.url);
  url.pathname = `/${database}`;
  return url.toString();
}

async function scalar(handle: Pick<DbHandle, 'pool'>, query: string): Promise<number> {
  const [rows] = await handle.pool.query(query);
  return Number(Object.values((rows as Array<Record<string, unknown>>)[0] ?? {})[0] ?? 0);
}

async function stateOf(handle: Pick<DbHandle, 'pool'>): Promise<State> {
  return {
    orders: await scalar(handle, 'SELECT COUNT(*) FROM orders'),
    download_tasks: await scalar(handle, 'SELECT COUNT(*) FROM download_tasks'),
    order_audit_logs: await scalar(handle, 'SELECT COUNT(*) FROM order_audit_logs'),
    maxOrderId: await scalar(handle, 'SELECT COALESCE(MAX(id), 0) FROM orders'),
    maxAuditId: await scalar(handle, 'SELECT COALESCE(MAX(id), 0) FROM order_audit_logs'),
  };
}

/**
 * One writer, one transaction at a time, through the db package's own functions: each commit is
 * logged with the table counts it leaves, so the dump's snapshot must equal one logged state.
 */
function startWriter(handle: DbHandle, initial: State) {
  const log: State[] = [initial];
  let stop = false;
  let failure: unknown = null;
  const run = (async () => {
    let state = initial;
    for (let i = 0; !stop; i++) {
      if (i % 3 === 0) {
        const order = await placeDemoOrder(handle.db, { courseBase: 'http://127.0.0.1:1/courses' });
        const tasks = await scalar(
          handle,
          `SELECT COUNT(*) FROM download_tasks WHERE order_id = ${order.id}`,
        );
        state = {
          ...state,
          orders: state.orders + 1,
          download_tasks: state.download_tasks + tasks,
          order_audit_logs: state.order_audit_logs + 1,
          maxOrderId: order.id,
          maxAuditId: await scalar(handle, 'SELECT MAX(id) FROM order_audit_logs'),
        };
      } else {
        // A task ends and its order's counters move, with its audit event, in one transaction.
        const [task] = await handle.db
          .select()
          .from(downloadTasks)
          .where(eq(downloadTasks.status, 'pending'))
          .orderBy(sql`${downloadTasks.id} DESC`)
          .limit(1);
        if (!task) continue;
        const to = i % 2 ? 'completed' : 'failed';
        await withTransaction(handle.db, async (tx) => {
          await transitionTask(tx, { taskId: task.id, to });
          await appendAuditEvents(tx, [
            {
              order_id: task.order_id,
              task_id: task.id,
              event_type: to === 'completed' ? 'download_completed' : 'download_failed',
              message: to,
              source: 'test',
            },
          ]);
        });
        state = {
          ...state,
          order_audit_logs: state.order_audit_logs + 1,
          maxAuditId: await scalar(handle, 'SELECT MAX(id) FROM order_audit_logs'),
        };
      }
      log.push(state);
    }
  })().catch((error) => {
    failure = error;
  });
  return {
    log,
    async stop() {
      stop = true;
      await run;
      if (failure) throw failure;
    },
  };
}

beforeAll(async () => {
  tdb = await createTestDatabase('backup');
  dir = mkdtempSync(path.join(tmpdir(), 'paidflow-backup-'));
  for (let i = 0; i < 40; i++) await placeDemoOrder(tdb.db, { courseBase: 'http://127.0.0.1:1/courses' });
  // Bulk: ~80,000 audit rows, so the dump takes a while under the writer.
  for (let i = 0; i < 11; i++) {
    await tdb.pool.query(
      `INSERT INTO order_audit_logs (order_id, event_type, event_category, severity, message, details, source, created_at)
       SELECT order_id, event_type, event_category, severity, message, details, source, created_at FROM order_audit_logs`,
    );
  }
  await recordPaymentTransaction(tdb.db, {
    provider: 'sepay',
    providerTransactionId: 'raw-1',
    amount: 1,
    transferType: 'in',
    rawPayload: { stand_in: true },
    rawBody: RAW,
  });
});

afterAll(async () => {
  for (const name of restored) await dropDatabase(serverUrl(name));
  await tdb?.[Symbol.asyncDispose]();
});

test('a backup taken under live writes restores to the snapshot of its start, with consistent counters', async () => {
  const writer = startWriter(tdb, await stateOf(tdb));
  while (writer.log.length < 10) await new Promise((r) => setTimeout(r, 20));
  const before = writer.log.length - 1;
  const backup = await backupDatabase({ url: tdb.url, dir, keep: 10 });
  const after = writer.log.length - 1;
  await writer.stop();
  expect(after - before, 'writes committed while the dump ran').toBeGreaterThanOrEqual(3);
  expect(path.basename(backup.file)).toMatch(new RegExp(`^${tdb.name}-\\d{8}T\\d{9}Z\\.sql\\.gz$`));
  expect(readdirSync(dir).filter((name) => name.startsWith('.'))).toEqual([]);

  const name = `${tdb.name}_r1`;
  restored.push(name);
  await restoreDatabase({ url: tdb.url, file: backup.file, database: name });
  const copy = createDb({ url: serverUrl(name), connectionLimit: 2 });
  try {
    const state = await stateOf(copy);
    // The restored counts are exactly those the writer left after one of its commits: the dump
    // saw every table at the same moment, at or after the dump started.
    const index = writer.log.findIndex((logged) => JSON.stringify(logged) === JSON.stringify(state));
    expect(index, `restored ${JSON.stringify(state)}`).toBeGreaterThanOrEqual(before);
    expect(index).toBeLessThanOrEqual(writer.log.length - 1);
    // Tables nobody wrote to are copied whole.
    const source = await tableRowCounts(tdb.db);
    const counts = await tableRowCounts(copy.db);
    for (const table of Object.keys(source).filter((t) => !(WRITTEN as readonly string[]).includes(t))) {
      expect(counts[table], table).toBe(source[table]);
    }
    const check = await checkOrderCounters(copy.db);
    expect(check).toEqual({ ordersChecked: state.orders, mismatches: [] });
    // The raw webhook bytes come back byte for byte (--hex-blob).
    const [payment] = await copy.db.select().from(paymentTransactions);
    expect(Buffer.compare(payment!.raw_body!, RAW)).toBe(0);
    // The consistency check sees a broken counter.
    const [order] = await copy.db.select().from(orders).limit(1);
    await copy.db
      .update(orders)
      .set({ completed_tasks: order!.completed_tasks + 1 })
      .where(eq(orders.id, order!.id));
    const broken = await checkOrderCounters(copy.db);
    expect(broken.mismatches).toHaveLength(1);
    expect(broken.mismatches[0]).toMatchObject({
      orderId: order!.id,
      stored: { completed_tasks: order!.completed_tasks + 1 },
    });
  } finally {
    await copy.close();
  }
});

function cli(name: string, args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(TSX, [`src/cli/${name}.ts`, ...args], {
    cwd: PACKAGE,
    encoding: 'utf8',
    env: { ...process.env, DATABASE_URL: tdb.url, MIGRATION_DATABASE_URL: '', INIT_CWD: dir, ...env },
  });
  return { status: result.status, stdout: result.stdout.trim().split('\n'), stderr: result.stderr };
}

test('npm run backup prints the file last and keeps BACKUP_KEEP files; check-db passes, then sees a broken counter', () => {
  const keepDir = mkdtempSync(path.join(tmpdir(), 'paidflow-keep-'));
  const files: string[] = [];
  for (let i = 0; i < 3; i++) {
    const run = cli('backup', [], { BACKUP_DIR: keepDir, BACKUP_KEEP: '2', MIGRATION_DATABASE_URL: tdb.url });
    expect(run.status, run.stderr).toBe(0);
    files.push(run.stdout.at(-1)!);
    expect(existsSync(files.at(-1)!)).toBe(true);
  }
  expect(readdirSync(keepDir).sort()).toEqual(files.slice(1).map((file) => path.basename(file)));
  expect(existsSync(files[0]!)).toBe(false);
  const check = cli('check-db', []);
  expect(check.status, check.stderr).toBe(0);
  expect(check.stdout.at(-1)).toMatch(/^check-db: consistent: \d+ orders checked, 0 with wrong counters$/);
  const restoredCopy = `${tdb.name}_r1`;
  const broken = cli('check-db', ['--', '--database', restoredCopy]);
  expect(broken.status).toBe(1);
  expect(broken.stdout.at(-1)).toMatch(/INCONSISTENT: \d+ orders checked, 1 with wrong counters/);
});

test('restore refuses a database that holds tables unless --force, and replaces it with --force', async () => {
  const backup = await backupDatabase({ url: tdb.url, dir, keep: 10 });
  const name = `${tdb.name}_r2`;
  restored.push(name);
  const server = createDb({ url: tdb.url, connectionLimit: 1 });
  await server.pool.query(`CREATE DATABASE \`${name}\``);
  await server.pool.query(`CREATE TABLE \`${name}\`.keep_me (id int primary key)`);
  await server.pool.query(`INSERT INTO \`${name}\`.keep_me VALUES (7)`);
  await expect(restoreDatabase({ url: tdb.url, file: backup.file, database: name })).rejects.toBeInstanceOf(
    RestoreRefusedError,
  );
  const refused = cli('restore', [path.basename(backup.file), '--database', name]);
  expect(refused.status).toBe(1);
  expect(refused.stderr).toMatch(
    `restore: refused: database "${name}" is not empty (1 tables); give --force`,
  );
  expect(await scalar(server, `SELECT id FROM \`${name}\`.keep_me`)).toBe(7);

  const forced = cli('restore', [path.basename(backup.file), '--database', name, '--force']);
  expect(forced.status, forced.stderr).toBe(0);
  expect(forced.stdout[0]).toMatch(new RegExp(`^restore: "${name}" restored \\(\\d+ tables\\)`));
  expect(
    await scalar(
      server,
      `SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${name}' AND TABLE_NAME = 'keep_me'`,
    ),
  ).toBe(0);
  expect(await scalar(server, `SELECT COUNT(*) FROM \`${name}\`.orders`)).toBe(
    await scalar(tdb, 'SELECT COUNT(*) FROM orders'),
  );
  await server.close();
});

test('restore names what is wrong: no such file, a damaged file, a bad database name, missing arguments', async () => {
  await expect(
    restoreDatabase({ url: tdb.url, file: path.join(dir, 'nope.sql.gz'), database: 'x_new' }),
  ).rejects.toThrow(/no backup file at/);
  const damaged = path.join(dir, 'damaged.sql.gz');
  writeFileSync(damaged, 'this is not gzip');
  const name = `${tdb.name}_r3`;
  restored.push(name);
  await expect(restoreDatabase({ url: tdb.url, file: damaged, database: name })).rejects.toThrow(
    /could not read/,
  );
  await expect(restoreDatabase({ url: tdb.url, file: damaged, database: 'bad-name;' })).rejects.toThrow(
    /letters, digits/,
  );
  const usage = cli('restore', ['--database', 'x']);
  expect(usage.status).toBe(1);
  expect(usage.stderr).toMatch(/FILE is missing\nusage: npm run restore/);
  const dumpFails = await backupDatabase({ url: serverUrl('paidflow_no_such_db_here'), dir, keep: 10 }).catch(
    (e: Error) => e,
  );
  expect(String(dumpFails)).toMatch(/mariadb-dump exited 2: .*Unknown database/);
  expect(readdirSync(dir).filter((file) => file.startsWith('.'))).toEqual([]);
});

test('a truncated backup is refused before --force drops anything: the database stays as it was', async () => {
  const backup = await backupDatabase({ url: tdb.url, dir, keep: 10 });
  const name = `${tdb.name}_r4`;
  restored.push(name);
  const server = createDb({ url: tdb.url, connectionLimit: 1 });
  try {
    await server.pool.query(`CREATE DATABASE \`${name}\``);
    await server.pool.query(`CREATE TABLE \`${name}\`.keep_me (id int primary key)`);
    await server.pool.query(`INSERT INTO \`${name}\`.keep_me VALUES (7)`);
    const bytes = readFileSync(backup.file);
    const text = gunzipSync(bytes).toString('utf8');
    expect(text).toMatch(/\n-- Dump completed on [^\n]+\n$/);
    // Cut mid-stream (a broken gzip), and cut at a line (a valid gzip of an unfinished dump).
    const cutBytes = path.join(dir, 'cut-bytes.sql.gz');
    writeFileSync(cutBytes, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const cutDump = path.join(dir, 'cut-dump.sql.gz');
    writeFileSync(cutDump, gzipSync(text.slice(0, text.indexOf('\n', Math.floor(text.length / 2)) + 1)));
    for (const [file, message] of [
      [cutBytes, /could not read .*cut-bytes\.sql\.gz .*nothing was changed/],
      [cutDump, /cut-dump\.sql\.gz is incomplete: .*-- Dump completed.*nothing was changed/],
    ] as const) {
      await expect(restoreDatabase({ url: tdb.url, file, database: name, force: true })).rejects.toThrow(
        message,
      );
      const run = cli('restore', [path.basename(file), '--database', name, '--force']);
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(await scalar(server, `SELECT id FROM \`${name}\`.keep_me`)).toBe(7);
    }
  } finally {
    await server.close();
  }
});

test('the mariadb tools get no password through their environment; a password they cannot take is refused', async () => {
  expect(
    childEnv({ PATH: '/bin', HOME: '/h', DATABASE_URL: 'mysql://a:b@h/d', DB_USER_PASSWORD: 'x', TZ: 'UTC' }),
  ).toEqual({ PATH: '/bin', HOME: '/h', TZ: 'UTC' });
  const url = new URL(tdb.url);
  url.password = encodeURIComponent('line\nbreak');
  await expect(backupDatabase({ url: url.toString(), dir, keep: 10 })).rejects.toThrow(
    /password of the database URL holds a control character/,
  );
  expect(readdirSync(dir).filter((file) => file.startsWith('.'))).toEqual([]);
});
