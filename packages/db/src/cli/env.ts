import { EnvDatabaseUrl, parseEnvOrExit } from '@paidflow/contracts';
import { z } from 'zod';

const Env = z.object({
  DATABASE_URL: EnvDatabaseUrl,
});

/** Parses the variables the db command-line tools read; names every bad one and exits. */
export function loadCliEnv(source: NodeJS.ProcessEnv = process.env): z.infer<typeof Env> {
  return parseEnvOrExit(Env, source);
}
