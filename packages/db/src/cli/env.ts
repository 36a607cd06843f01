import { EnvDatabaseUrl, parseEnvOrExit } from '@paidflow/contracts';
import { z } from 'zod';

/** The owner's URL (migrations, seed, create-db-user); unset or empty: DATABASE_URL's. */
export const EnvMigrationDatabaseUrl = z.preprocess(
  (value) => (value === '' ? undefined : value),
  z
    .string()
    .regex(/^mysql:\/\//, 'must be a mysql:// URL')
    .optional(),
);

const Env = z
  .object({
    DATABASE_URL: EnvDatabaseUrl,
    MIGRATION_DATABASE_URL: EnvMigrationDatabaseUrl,
    /** create-db-user's password for the application user; unset: the first line of stdin. */
    DB_USER_PASSWORD: z.preprocess((value) => (value === '' ? undefined : value), z.string().optional()),
  })
  .transform((env) => ({ ...env, ownerUrl: env.MIGRATION_DATABASE_URL ?? env.DATABASE_URL }));

/**
 * Parses the variables the db command-line tools read; names every bad one and exits.
 * `ownerUrl` is the one they connect with: the owner's, which creates, alters and grants.
 */
export function loadCliEnv(source: NodeJS.ProcessEnv = process.env): z.infer<typeof Env> {
  return parseEnvOrExit(Env, source);
}
