// npm run restore -- FILE --database NAME [--force]
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadBackupEnv } from '../backup/env.ts';
import { RestoreRefusedError, restoreDatabase } from '../backup/restore.ts';

const USAGE = 'usage: npm run restore -- FILE --database NAME [--force]';

function parse() {
  try {
    return parseArgs({
      args: process.argv.slice(2).filter((arg) => arg !== '--'),
      allowPositionals: true,
      options: { database: { type: 'string' }, force: { type: 'boolean', default: false } },
    });
  } catch (error) {
    console.error(`restore: ${(error as Error).message}\n${USAGE}`);
    process.exit(1);
  }
}

const env = loadBackupEnv();
const { values, positionals } = parse();
const [file] = positionals;
if (!file || !values.database || positionals.length > 1) {
  console.error(
    `restore: ${!file ? 'FILE is missing' : !values.database ? '--database is missing' : 'one FILE only'}\n${USAGE}`,
  );
  process.exit(1);
}
try {
  const started = Date.now();
  const result = await restoreDatabase({
    url: env.ownerUrl,
    file: path.resolve(env.cwd, file),
    database: values.database,
    force: values.force,
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`restore: "${result.database}" restored (${result.tables} tables) in ${seconds} s`);
  console.log(`restore: check it with: npm run check-db -- --database ${result.database}`);
} catch (error) {
  console.error(
    `restore: ${error instanceof RestoreRefusedError ? 'refused' : 'failed'}: ${(error as Error).message}`,
  );
  process.exitCode = 1;
}
