import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { commitFile, fileTimestamp, pruneFiles } from './files.ts';
import { checkDatabaseName, mysqlTarget, spawnMysqlTool } from './mysql-client.ts';

export interface BackupOptions {
  /** The database to dump, as its owner (MIGRATION_DATABASE_URL, else DATABASE_URL). */
  url: string;
  /** BACKUP_DIR: created when missing. */
  dir: string;
  /** BACKUP_KEEP: how many of this database's backups to keep, this one included. */
  keep: number;
  /** The time in the file's name (tests); now by default. */
  now?: Date;
}

export interface BackupResult {
  file: string;
  bytes: number;
  /** Older backups deleted to keep `keep`. */
  pruned: string[];
}

/**
 * The options of a consistent dump of a database in use: one REPEATABLE READ transaction with a
 * consistent snapshot (InnoDB), no table locks; routines and triggers; blobs as hex so that the
 * raw webhook bodies come back byte for byte.
 */
export const DUMP_ARGS = [
  '--single-transaction',
  '--routines',
  '--triggers',
  '--hex-blob',
  '--no-tablespaces',
  '--default-character-set=utf8mb4',
];

/** The name pattern of a database's backups: `<database>-<UTC timestamp>.sql.gz`. */
export function backupFilePattern(database: string): RegExp {
  return new RegExp(`^${checkDatabaseName(database)}-\\d{8}T\\d{9}Z\\.sql\\.gz$`);
}

/**
 * Dumps a database with mariadb-dump --single-transaction, gzip-streamed to a temporary name in
 * `dir`, fsynced, then renamed to `<database>-<UTC timestamp>.sql.gz`: a backup that exists is
 * whole. Then deletes the oldest so that `keep` remain.
 */
export async function backupDatabase(options: BackupOptions): Promise<BackupResult> {
  const target = mysqlTarget(options.url);
  checkDatabaseName(target.database);
  if (!Number.isInteger(options.keep) || options.keep < 1) throw new Error('keep must be 1 or more');
  await mkdir(options.dir, { recursive: true });
  const name = `${target.database}-${fileTimestamp(options.now ?? new Date())}.sql.gz`;
  const file = path.join(path.resolve(options.dir), name);
  const temp = path.join(path.dirname(file), `.${name}.partial`);
  try {
    const dump = await spawnMysqlTool('mariadb-dump', target, [...DUMP_ARGS, target.database]);
    dump.child.stdin?.end();
    await Promise.all([
      dump.done,
      pipeline(dump.child.stdout!, createGzip({ level: 6 }), createWriteStream(temp, { mode: 0o600 })),
    ]);
    await commitFile(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  const { size } = await stat(file);
  const pruned = await pruneFiles(path.dirname(file), backupFilePattern(target.database), options.keep);
  return { file, bytes: size, pruned };
}
