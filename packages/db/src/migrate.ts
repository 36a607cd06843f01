import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/mysql2';
import { migrate } from 'drizzle-orm/mysql2/migrator';
import mysql from 'mysql2/promise';
import { splitDatabaseUrl } from './client.ts';
import { paidflowTables, syncAppUserGrants } from './db-user.ts';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../drizzle', import.meta.url));

export interface MigrateOptions {
  /** Where a GRANT that could not be run is reported (default: console.warn). */
  warn?: (message: string) => void;
}

/**
 * Creates the database when missing, then applies the committed migrations that it lacks.
 * Safe to run on an empty or an up-to-date database, and by several processes at once
 * (a named lock serializes them). The tables this run created are granted to the application
 * users (syncAppUserGrants); tables that existed before are left as they are.
 */
export async function migrateDatabase(url: string, options: MigrateOptions = {}): Promise<void> {
  const warn = options.warn ?? ((message: string) => console.warn(`migrate: ${message}`));
  const { serverUrl, database } = splitDatabaseUrl(url);
  const server = await mysql.createConnection({ uri: serverUrl, connectTimeout: 5_000 });
  try {
    await server.query(
      `CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  } finally {
    await server.end();
  }
  const connection = await mysql.createConnection({
    uri: url,
    connectTimeout: 5_000,
    multipleStatements: true,
  });
  try {
    const [rows] = await connection.query('SELECT GET_LOCK(?, 60) AS got', [`paidflow_migrate_${database}`]);
    if ((rows as Array<{ got: number }>)[0]?.got !== 1) throw new Error('could not take the migration lock');
    const query = async (sql: string, values?: unknown[]) => (await connection.query(sql, values))[0];
    const before = new Set(await paidflowTables(query, database));
    await migrate(drizzle(connection), { migrationsFolder: MIGRATIONS_FOLDER });
    // A migration that adds a table: the application users get their privileges on it too.
    const createdTables = (await paidflowTables(query, database)).filter((table) => !before.has(table));
    await syncAppUserGrants(connection, { database, createdTables, warn });
  } finally {
    await connection.query('SELECT RELEASE_LOCK(?)', [`paidflow_migrate_${database}`]).catch(() => {});
    await connection.end();
  }
}

/** Drops a database (tests and benchmarks use their own). */
export async function dropDatabase(url: string): Promise<void> {
  const { serverUrl, database } = splitDatabaseUrl(url);
  const server = await mysql.createConnection({ uri: serverUrl, connectTimeout: 5_000 });
  try {
    await server.query(`DROP DATABASE IF EXISTS \`${database}\``);
  } finally {
    await server.end();
  }
}
