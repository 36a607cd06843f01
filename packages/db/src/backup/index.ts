export {
  type BackupOptions,
  type BackupResult,
  backupDatabase,
  backupFilePattern,
  DUMP_ARGS,
} from './backup.ts';
export { commitFile, fileTimestamp, fsyncPath, pruneFiles } from './files.ts';
export { checkDatabaseName, mysqlTarget } from './mysql-client.ts';
export { type RestoreOptions, RestoreRefusedError, restoreDatabase } from './restore.ts';
