// npm run check-db [-- --database NAME]: every order's task counters against its tasks' statuses.
import { parseArgs } from 'node:util';
import { loadBackupEnv } from '../backup/env.ts';
import { checkDatabaseName } from '../backup/mysql-client.ts';
import { createDb } from '../client.ts';
import { checkOrderCounters, tableRowCounts } from '../queries/consistency.ts';

const env = loadBackupEnv();
let database: string | undefined;
try {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((arg) => arg !== '--'),
    options: { database: { type: 'string' } },
  });
  database = values.database === undefined ? undefined : checkDatabaseName(values.database);
} catch (error) {
  console.error(`check-db: ${(error as Error).message}\nusage: npm run check-db [-- --database NAME]`);
  process.exit(1);
}
const url = new URL(env.ownerUrl);
if (database) url.pathname = `/${database}`;
const handle = createDb({ url: url.toString(), connectionLimit: 2 });
try {
  const counts = await tableRowCounts(handle.db);
  for (const [table, rows] of Object.entries(counts))
    console.log(`check-db: ${table.padEnd(28)} ${rows} rows`);
  const report = await checkOrderCounters(handle.db);
  for (const m of report.mismatches) {
    console.log(
      `check-db: order ${m.orderId} (${m.orderCode}) stores ${JSON.stringify(m.stored)}, its tasks say ${JSON.stringify(m.actual)}`,
    );
  }
  const ok = report.mismatches.length === 0;
  console.log(
    `check-db: ${ok ? 'consistent' : 'INCONSISTENT'}: ${report.ordersChecked} orders checked, ${report.mismatches.length}${report.mismatches.length >= 100 ? '+' : ''} with wrong counters`,
  );
  if (!ok) process.exitCode = 1;
} catch (error) {
  console.error(`check-db: failed on "${url.pathname.slice(1)}": ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await handle.close();
}
