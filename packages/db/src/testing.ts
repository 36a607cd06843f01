import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { createDb, type DbHandle, type DbOrTx } from './client.ts';
import { createDbUser } from './db-user.ts';
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

export interface TestDbUser {
  user: string;
  host: string;
  password: string;
  /** The database's URL as this user. */
  url: string;
  /** Drops the user (its grants go with it). */
  drop(): Promise<void>;
}

/**
 * An application user of a test database, made by createDbUser (SELECT, INSERT, UPDATE and
 * DELETE on its tables), with a name unique to the run. Drop it when done.
 */
export async function createTestDbUser(database: { url: string; name: string }): Promise<TestDbUser> {
  const user = `pf_test_${randomBytes(5).toString('hex')}`;
  const host = '%';
  const password = randomBytes(18).toString('base64url');
  await createDbUser(database.url, { user, host, database: database.name, password });
  const url = new URL(database.url);
  url.username = user;
  url.password = password;
  return {
    user,
    host,
    password,
    url: url.toString(),
    async drop() {
      const server = await mysql.createConnection({ uri: testServerUrl(), connectTimeout: 5_000 });
      try {
        await server.query('DROP USER IF EXISTS ?@?', [user, host]);
      } finally {
        await server.end();
      }
    },
  };
}

export { type MariadbProcess, type ReplicaPair, startReplicaPair } from './testing-replica.ts';
