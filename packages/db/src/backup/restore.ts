import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import mysql from 'mysql2/promise';
import { checkDatabaseName, mysqlTarget, spawnMysqlTool } from './mysql-client.ts';

export interface RestoreOptions {
  /** The server, as a user that may create databases (the owner); its database part is ignored. */
  url: string;
  /** A backup written by backupDatabase (`.sql.gz`). */
  file: string;
  /** The database to restore into: created when missing. */
  database: string;
  /** Replace a database that already holds tables (it is dropped and created again). */
  force?: boolean;
}

/** The named database holds tables and --force was not given: nothing was changed. */
export class RestoreRefusedError extends Error {
  constructor(
    readonly database: string,
    readonly tables: number,
  ) {
    super(`database "${database}" is not empty (${tables} tables); give --force to replace it`);
    this.name = 'RestoreRefusedError';
  }
}

/** How many tables a database holds (0 when it does not exist). */
async function tableCount(connection: mysql.Connection, database: string): Promise<number> {
  const [rows] = await connection.query(
    'SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?',
    [database],
  );
  return Number((rows as Array<{ n: number }>)[0]?.n ?? 0);
}

/** What mariadb-dump writes last: a file that lacks it was cut short. */
const DUMP_TRAILER = /\n-- Dump completed(?: on [^\n]*)?\s*$/;
const TAIL_CHARS = 512;

/**
 * Reads the whole backup before anything is changed: the gzip stream must decompress to its end
 * (its CRC and length checked by zlib) and the dump must end with mariadb-dump's trailer. A
 * truncated or damaged file is refused here, with the database untouched.
 */
export async function verifyBackup(file: string): Promise<void> {
  let tail = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      tail = (tail + chunk.toString('latin1')).slice(-TAIL_CHARS);
      callback();
    },
  });
  try {
    await pipeline(createReadStream(file), createGunzip(), sink);
  } catch (error) {
    throw new Error(`could not read ${file} (${(error as Error).message}); nothing was changed`);
  }
  if (!DUMP_TRAILER.test(tail))
    throw new Error(
      `${file} is incomplete: it does not end with mariadb-dump's "-- Dump completed" line (an interrupted backup?); nothing was changed`,
    );
}

/**
 * Restores a backup into `database`: reads the whole file first (verifyBackup), creates it when missing, refuses one that holds tables unless
 * `force` (then drops and recreates it), and streams the gunzipped dump into the mariadb client.
 * Returns how many tables the database holds afterwards.
 */
export async function restoreDatabase(
  options: RestoreOptions,
): Promise<{ database: string; tables: number }> {
  const database = checkDatabaseName(options.database);
  await access(options.file).catch(() => {
    throw new Error(`no backup file at ${options.file}`);
  });
  await verifyBackup(options.file);
  const target = { ...mysqlTarget(options.url), database };
  const server = new URL(options.url);
  server.pathname = '/';
  const connection = await mysql.createConnection({ uri: server.toString(), connectTimeout: 5_000 });
  try {
    const tables = await tableCount(connection, database);
    if (tables > 0 && !options.force) throw new RestoreRefusedError(database, tables);
    if (tables > 0) await connection.query(`DROP DATABASE \`${database}\``);
    await connection.query(
      `CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
    const client = await spawnMysqlTool('mariadb', target, ['--default-character-set=utf8mb4', database]);
    client.child.stdout?.resume();
    await Promise.all([
      client.done,
      pipeline(createReadStream(options.file), createGunzip(), client.child.stdin!).catch((error: Error) => {
        client.child.kill();
        throw new Error(
          `could not read ${options.file} (${error.message}); "${database}" may be partly restored`,
        );
      }),
    ]);
    return { database, tables: await tableCount(connection, database) };
  } finally {
    await connection.end();
  }
}
