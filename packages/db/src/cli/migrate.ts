import { splitDatabaseUrl } from '../client.ts';
import { migrateDatabase } from '../migrate.ts';
import { loadCliEnv } from './env.ts';

const env = loadCliEnv();
const { database } = splitDatabaseUrl(env.ownerUrl);
try {
  await migrateDatabase(env.ownerUrl);
  console.log(`migrate: database "${database}" is up to date`);
} catch (error) {
  console.error(`migrate: failed on database "${database}": ${(error as Error).message}`);
  process.exitCode = 1;
}
