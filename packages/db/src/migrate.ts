import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/mysql2';
import { migrate } from 'drizzle-orm/mysql2/migrator';
import mysql from 'mysql2/promise';
import { splitDatabaseUrl } from './client.ts';
import { syncAppUserGrants } from './db-user.ts';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../drizzle', import.meta.url));

/**
 * Creates the database when missing, then applies the committed migrations that it lacks.
 * Safe to run on an empty or an up-to-date database, and by several processes at once
 * (a named lock serializes them).
 */
export async function migrateDatabase(url: string): Promise<void> {
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
    await migrate(drizzle(connection), { migrationsFolder: MIGRATIONS_FOLDER });
    // A migration that adds a table: the application users get their privileges on it too.
    await syncAppUserGrants(connection, database);
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
