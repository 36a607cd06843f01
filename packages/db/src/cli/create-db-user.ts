// npm run create-db-user -- --user NAME [--host %] [--database NAME]
// Creates (or brings in line) the application user: SELECT, INSERT, UPDATE and DELETE on each of
// Paidflow's tables, nothing more (docs/security.md). Connects as the owner:
// MIGRATION_DATABASE_URL, else DATABASE_URL. The password comes from DB_USER_PASSWORD or the
// first line of stdin, never from argv (argv is visible to every user of the machine).
import { parseArgs } from 'node:util';
import { splitDatabaseUrl } from '../client.ts';
import { APP_PRIVILEGES, createDbUser } from '../db-user.ts';
import { loadCliEnv } from './env.ts';
import { readFirstLine } from './read-secret.ts';

const USAGE =
  'usage: create-db-user --user NAME [--host % (default)] [--database NAME (default: the one of the URL)]\n' +
  '  password: DB_USER_PASSWORD, else the first line of stdin';

function fail(message: string): never {
  console.error(`create-db-user: ${message}\n${USAGE}`);
  process.exit(1);
}

const argv = process.argv.slice(2).filter((arg) => arg !== '--');
if (argv.some((arg) => /^--?(p|password|pass)(=|$)/.test(arg))) {
  fail('the password is never taken from the command line: set DB_USER_PASSWORD or pipe it on stdin');
}
let values: { user?: string; host: string; database?: string; help: boolean };
try {
  ({ values } = parseArgs({
    args: argv,
    options: {
      user: { type: 'string' },
      host: { type: 'string', default: '%' },
      database: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  }));
} catch (error) {
  fail((error as Error).message);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!values.user) fail('--user is required');

const env = loadCliEnv();
const database = values.database ?? splitDatabaseUrl(env.ownerUrl).database;
try {
  const result = await createDbUser(env.ownerUrl, {
    user: values.user,
    host: values.host,
    database,
    password: env.DB_USER_PASSWORD ?? (await readFirstLine()),
  });
  const account = `'${values.user}'@'${values.host}'`;
  console.log(
    `create-db-user: ${result.created ? 'created' : 'updated'} ${account}: ${APP_PRIVILEGES.join(', ')} on ${result.tables.length} tables of "${database}"`,
  );
  for (const line of result.revoked) console.log(`create-db-user: revoked ${line}`);
} catch (error) {
  console.error(`create-db-user: failed for "${values.user}" on "${database}": ${(error as Error).message}`);
  process.exitCode = 1;
}
