import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvDatabaseUrl, parseEnvOrExit } from '@paidflow/contracts';
import { z } from 'zod';

// Relative BACKUP_DIR and file arguments mean what they mean from the repo root, where npm runs.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

const Env = z
  .object({
    DATABASE_URL: EnvDatabaseUrl,
    /** The owner's URL (backups need every table, routines and triggers); falls back to DATABASE_URL. */
    MIGRATION_DATABASE_URL: z.preprocess(
      (value) => (value === '' ? undefined : value),
      z
        .string()
        .regex(/^mysql:\/\//, 'must be a mysql:// URL')
        .optional(),
    ),
    BACKUP_DIR: z.string().min(1).default('backups'),
    BACKUP_KEEP: z.coerce.number().int().min(1).max(100_000).default(14),
    /** Where `npm run` was started (npm sets it): relative file arguments are from there. */
    INIT_CWD: z.string().optional(),
  })
  .transform((env) => ({
    ownerUrl: env.MIGRATION_DATABASE_URL ?? env.DATABASE_URL,
    backupDir: path.resolve(ROOT, env.BACKUP_DIR),
    keep: env.BACKUP_KEEP,
    cwd: env.INIT_CWD ?? ROOT,
  }));

export type BackupEnv = z.infer<typeof Env>;

/** The variables of backup, restore and check-db; names every bad one and exits. */
export function loadBackupEnv(source: NodeJS.ProcessEnv = process.env): BackupEnv {
  return parseEnvOrExit(Env, source);
}
