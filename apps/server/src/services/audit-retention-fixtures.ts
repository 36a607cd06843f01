import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { appendAuditEvents, auditArchives } from '@paidflow/db';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { AppDeps } from '../deps.ts';
import { startTestServer, type TestServer } from '../testing/pipeline-fixtures.ts';

// Shared by the audit retention integration tests (decision 055): one test server per file.

export const DAY = 86_400_000;
let t: TestServer;
let deps: AppDeps;

/** The test server and its deps, once started. */
export const fixture = {
  get t() {
    return t;
  },
  get deps() {
    return deps;
  },
};

/** Starts one test server for the file, and empties the audit tables before each test. */
export function useRetentionServer(): void {
  beforeAll(async () => {
    t = await startTestServer('retention', { RECONCILE_INTERVAL_MS: '3600000' });
    deps = t.server.deps;
  });
  afterAll(async () => {
    await t?.close();
  });
  // The archive is a prefix of the log by id: each test starts from an empty log.
  beforeEach(async () => {
    for (const table of ['audit_archive_orders', 'audit_archives', 'order_audit_logs']) {
      await t.tdb.pool.query(`DELETE FROM ${table}`);
    }
  });
}

export function retentionDeps(dir: string, overrides: Partial<AppDeps['env']> = {}) {
  return {
    ...deps,
    env: {
      ...deps.env,
      AUDIT_RETENTION_DAYS: 1,
      ARCHIVE_DIR: dir,
      AUDIT_ARCHIVE_BATCH: 50,
      AUDIT_ARCHIVE_PAUSE_MS: 2,
      AUDIT_ARCHIVE_FILE_ROWS: 400,
      ...overrides,
    },
  };
}

/** Old rows (3 days) for each order, inserted in id order, then returns all their ids. */
export async function insertOldRows(orderIds: number[], perOrder: number): Promise<number[]> {
  const values: string[] = [];
  const old = Date.now() - 3 * DAY;
  for (let i = 0; i < perOrder; i++) {
    for (const orderId of orderIds) {
      const at = new Date(old + i * 1000).toISOString().slice(0, 23).replace('T', ' ');
      values.push(
        `(${orderId}, 'download_started', 'download', 'info', 'old ${i}', '{"n":${i}}', 'test', '${at}')`,
      );
    }
  }
  const [result] = await t.tdb.pool.query(
    `INSERT INTO order_audit_logs (order_id, event_type, event_category, severity, message, details, source, created_at) VALUES ${values.join(',')}`,
  );
  const first = (result as { insertId: number }).insertId;
  return Array.from({ length: values.length }, (_, i) => first + i);
}

/** Appends audit events through the db package, one at a time, until stopped. */
export function startAppender(orderIds: number[]) {
  let stop = false;
  let written = 0;
  const done = (async () => {
    while (!stop) {
      await appendAuditEvents(deps.db, [
        {
          order_id: orderIds[written % orderIds.length]!,
          event_type: 'download_started',
          message: `live ${written}`,
          source: 'test',
        },
      ]);
      written++;
    }
  })();
  return {
    async stop() {
      stop = true;
      await done;
      return written;
    },
  };
}

export function readArchive(file: string): Array<Record<string, unknown>> {
  return gunzipSync(readFileSync(file))
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

export async function oldRowsLeft(cutoff: Date): Promise<number> {
  const [rows] = await t.tdb.pool.query('SELECT COUNT(*) AS n FROM order_audit_logs WHERE created_at < ?', [
    cutoff,
  ]);
  return Number((rows as Array<{ n: number }>)[0]!.n);
}

/** Every recorded archive's ids, read from its file. */
export async function recordedIds(): Promise<number[]> {
  const records = await deps.db.select().from(auditArchives).orderBy(auditArchives.first_audit_id);
  return records.flatMap((record) => readArchive(record.file).map((row) => row.id as number));
}
