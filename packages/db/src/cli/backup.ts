// npm run backup: a consistent, compressed dump of the database to BACKUP_DIR; the file's path is
// the last line printed.
import { backupDatabase } from '../backup/backup.ts';
import { loadBackupEnv } from '../backup/env.ts';

const env = loadBackupEnv();
try {
  const started = Date.now();
  const result = await backupDatabase({ url: env.ownerUrl, dir: env.backupDir, keep: env.keep });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  for (const file of result.pruned) console.log(`backup: removed ${file} (BACKUP_KEEP=${env.keep})`);
  console.log(`backup: ${(result.bytes / 1024 / 1024).toFixed(2)} MiB in ${seconds} s`);
  console.log(result.file);
} catch (error) {
  console.error(`backup: failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
