// npm run recount-stats [-- --database NAME] [-- --check]: rebuilds the dashboard's order counts
// (order_status_counts) from the orders, and prints what was wrong (decision 060). --check only
// compares and exits 1 on a difference. Safe while the pipeline runs.
import { parseArgs } from 'node:util';
import { loadBackupEnv } from '../backup/env.ts';
import { checkDatabaseName } from '../backup/mysql-client.ts';
import { createDb } from '../client.ts';
import { orderCountDrift, recountOrderStatusCounts } from '../queries/stats-counters.ts';

const env = loadBackupEnv();
let database: string | undefined;
let checkOnly = false;
try {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((arg) => arg !== '--'),
    options: { database: { type: 'string' }, check: { type: 'boolean', default: false } },
  });
  database = values.database === undefined ? undefined : checkDatabaseName(values.database);
  checkOnly = values.check;
} catch (error) {
  console.error(
    `recount-stats: ${(error as Error).message}\nusage: npm run recount-stats [-- --database NAME] [--check]`,
  );
  process.exit(1);
}
const url = new URL(env.ownerUrl);
if (database) url.pathname = `/${database}`;
const handle = createDb({ url: url.toString(), connectionLimit: 2 });
try {
  const wrong = checkOnly ? await orderCountDrift(handle.db) : await recountOrderStatusCounts(handle.db);
  for (const row of wrong) {
    console.log(
      `recount-stats: ${row.payment_status}/${row.order_status} slot ${row.slot}: counted ${row.counted ?? 'missing'}, orders ${row.n}`,
    );
  }
  const verdict = wrong.length === 0 ? 'exact' : checkOnly ? 'WRONG' : 'rebuilt';
  console.log(`recount-stats: ${verdict}: ${wrong.length} counter rows differed`);
  if (checkOnly && wrong.length > 0) process.exitCode = 1;
} catch (error) {
  console.error(`recount-stats: failed on "${url.pathname.slice(1)}": ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await handle.close();
}
