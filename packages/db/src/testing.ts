import { randomBytes } from 'node:crypto';
import { createDb, type DbHandle, type DbOrTx } from './client.ts';
import { dropDatabase, migrateDatabase } from './migrate.ts';
import { orders } from './schema.ts';

/** The MySQL server tests use; TEST_MYSQL_URL overrides it. */
export function testServerUrl(): string {
  return process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/';
}

export interface TestDatabase extends DbHandle {
  url: string;
  name: string;
  /** Closes the pool and drops the database. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Creates a fresh, migrated database of its own (paidflow_test_<random>) for one test file,
 * and drops it on dispose. Use with `await using` or call the dispose in afterAll.
 */
export async function createTestDatabase(label = 'run'): Promise<TestDatabase> {
  const name = `paidflow_test_${label.replace(/\W/g, '_').slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  const server = new URL(testServerUrl());
  server.pathname = `/${name}`;
  const url = server.toString();
  await migrateDatabase(url);
  const handle = createDb({ url, connectionLimit: 5 });
  return {
    ...handle,
    url,
    name,
    async [Symbol.asyncDispose]() {
      await handle.close();
      await dropDatabase(url);
    },
  };
}

/**
 * Inserts an order for a test: a paid order of a@example.com for 1 unless `values` says
 * otherwise. Returns its id.
 */
export async function insertTestOrder(
  db: DbOrTx,
  values: { order_code: string } & Partial<typeof orders.$inferInsert>,
): Promise<number> {
  const [result] = await db
    .insert(orders)
    .values({ user_email: 'a@example.com', total_amount: 1, payment_status: 'paid', ...values });
  return result.insertId;
}
