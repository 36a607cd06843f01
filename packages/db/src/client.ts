import { drizzle, type MySql2Database } from 'drizzle-orm/mysql2';
import mysql from 'mysql2/promise';
import { registerPoolHandle } from './prepared.ts';
import * as schema from './tables.ts';

export type Db = MySql2Database<typeof schema>;
/** A database handle or an open transaction: query functions accept either. */
export type DbOrTx = Db | Parameters<Parameters<Db['transaction']>[0]>[0];

export interface DbHandle {
  db: Db;
  pool: mysql.Pool;
  close(): Promise<void>;
}

export interface CreateDbOptions {
  url: string;
  /** Pool size; the default suits one server or worker process. */
  connectionLimit?: number;
}

/** Opens a mysql2 pool and wraps it in drizzle. Dates are read and written as UTC. */
export function createDb({ url, connectionLimit = 10 }: CreateDbOptions): DbHandle {
  const pool = mysql.createPool({
    uri: url,
    connectionLimit,
    timezone: 'Z',
    dateStrings: false,
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: true,
    enableKeepAlive: true,
    connectTimeout: 5_000,
    // No stack capture per query (mysql2/promise's default): it was 3 % of the webhook's CPU. A
    // failed query still says which query (drizzle's error) and where (Node's async stack).
    trace: false,
    // mysql2 keeps a cache of server-side prepared statements per connection, sized up front: at
    // its default (16,000) that is ~512 KB of arrays per pooled connection, 5 MB for a full pool.
    // Drizzle's queries go over the text protocol and never fill it.
    maxPreparedStatements: 16,
  });
  // A dead connection in the pool must not become an uncaught 'error' that kills the process.
  pool.on('connection', (connection) => {
    connection.on('error', () => {});
    void connection.query("SET time_zone = '+00:00'");
  });
  const db = drizzle(pool, { schema, mode: 'default' });
  registerPoolHandle(db);
  return { db, pool, close: () => pool.end() };
}

/** Splits a mysql URL into the server URL and the database name. */
export function splitDatabaseUrl(url: string): { serverUrl: string; database: string } {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]+$/.test(database)) {
    throw new Error(`DATABASE_URL must name a database made of letters, digits and _: got "${database}"`);
  }
  parsed.pathname = '/';
  return { serverUrl: parsed.toString(), database };
}
