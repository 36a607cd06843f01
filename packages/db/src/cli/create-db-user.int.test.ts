import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { migrateDatabase } from '../migrate.ts';
import { createTestDatabase, type TestDatabase, testServerUrl } from '../testing.ts';

const PACKAGE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TSX = path.join(PACKAGE, 'node_modules/.bin/tsx');
const USER = `pf_cli_${randomBytes(4).toString('hex')}`;
const ROGUE = `pf_rogue_${randomBytes(4).toString('hex')}`;
let tdb: TestDatabase;
let root: mysql.Connection;

beforeAll(async () => {
  tdb = await createTestDatabase('db_user');
  root = await mysql.createConnection({ uri: testServerUrl() });
});
afterAll(async () => {
  for (const user of [USER, ROGUE]) await root?.query('DROP USER IF EXISTS ?@?', [user, '%']).catch(() => {});
  await root?.end();
  await tdb?.[Symbol.asyncDispose]();
});

function cli(args: string[], options: { env?: Record<string, string>; input?: string } = {}) {
  const result = spawnSync(TSX, ['src/cli/create-db-user.ts', ...args], {
    cwd: PACKAGE,
    encoding: 'utf8',
    input: options.input ?? '',
    env: {
      ...process.env,
      DATABASE_URL: 'mysql://nobody@127.0.0.1:1/not_this_one',
      MIGRATION_DATABASE_URL: tdb.url,
      DB_USER_PASSWORD: '',
      ...options.env,
    },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function grantsOf(user: string): Promise<string[]> {
  const [rows] = await root.query('SHOW GRANTS FOR ?@?', [user, '%']);
  return (rows as Array<Record<string, string>>).map((row) => Object.values(row)[0]!).sort();
}

async function connectAs(user: string, password: string, database = true) {
  const url = new URL(tdb.url);
  if (!database) url.pathname = '/';
  url.username = user;
  url.password = password;
  return mysql.createConnection({ uri: url.toString() });
}

test('create-db-user makes a user with SELECT, INSERT, UPDATE, DELETE on each table, as the owner of MIGRATION_DATABASE_URL', async () => {
  const run = cli(['--', '--user', USER], { env: { DB_USER_PASSWORD: 'first-password-0123' } });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(
    new RegExp(`created '${USER}'@'%': SELECT, INSERT, UPDATE, DELETE on \\d+ tables of "${tdb.name}"`),
  );
  const grants = await grantsOf(USER);
  expect(grants.some((grant) => grant.includes('`orders`'))).toBe(true);
  for (const grant of grants.filter((line) => line.includes(`\`${tdb.name}\``))) {
    expect(grant).toMatch(/^GRANT SELECT, INSERT, UPDATE, DELETE ON `[^`]+`\.`[^`]+` TO /);
  }
  // drizzle's journal is the owner's alone.
  expect(grants.join('\n')).not.toContain('__drizzle_migrations');
  const app = await connectAs(USER, 'first-password-0123');
  try {
    const [rows] = await app.query('SELECT COUNT(*) AS n FROM orders');
    expect(rows).toEqual([{ n: 0 }]);
  } finally {
    await app.end();
  }
});

test('running it again succeeds, takes the new password from stdin and revokes grants beyond the four', async () => {
  await root.query(`GRANT CREATE, DROP ON \`${tdb.name}\`.* TO ?@?`, [USER, '%']);
  await root.query(`GRANT ALTER ON \`${tdb.name}\`.\`orders\` TO ?@? WITH GRANT OPTION`, [USER, '%']);
  const run = cli(['--user', USER, '--database', tdb.name], { input: 'second-password-0123\n' });
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/updated/);
  expect(run.stdout).toMatch(new RegExp(`revoked CREATE, DROP on ${tdb.name}\\.\\*`));
  expect(run.stdout).toMatch(new RegExp(`revoked ALTER, GRANT OPTION on ${tdb.name}\\.orders`));
  const grants = (await grantsOf(USER)).join('\n');
  expect(grants).not.toMatch(/CREATE|DROP|ALTER|GRANT OPTION/);
  await expect(connectAs(USER, 'first-password-0123')).rejects.toMatchObject({
    code: 'ER_ACCESS_DENIED_ERROR',
  });
  const app = await connectAs(USER, 'second-password-0123');
  await app.end();
});

test('the password is never read from argv; bad input is refused with a clear message', async () => {
  const argv = cli(['--user', USER, '--password', 'on-the-command-line']);
  expect(argv.status).toBe(1);
  expect(argv.stderr).toMatch(/never taken from the command line/);
  expect(cli([]).stderr).toMatch(/--user is required/);
  expect(cli(['--user', "x'; DROP USER root; --"], { input: 'long-enough-password\n' }).stderr).toMatch(
    /--user must be/,
  );
  expect(cli(['--user', USER], { input: 'short\n' }).stderr).toMatch(/at least 12 characters/);
  const none = cli(['--user', USER, '--database', 'paidflow_no_such_db'], {
    input: 'long-enough-password\n',
  });
  expect(none.status).toBe(1);
  expect(none.stderr).toMatch(/has no tables: run `npm run migrate` first/);
});

test('a user with global privileges is refused before anything changes: its password and grants stay', async () => {
  await root.query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', [ROGUE, '%', 'rogue-password-0123']);
  await root.query('GRANT PROCESS ON *.* TO ?@?', [ROGUE, '%']);
  const before = await grantsOf(ROGUE);
  const run = cli(['--user', ROGUE], { env: { DB_USER_PASSWORD: 'another-password-0123' } });
  expect(run.status).toBe(1);
  expect(run.stderr).toMatch(/holds global privileges \(PROCESS on \*\.\*\)/);
  expect(await grantsOf(ROGUE)).toEqual(before);
  // The old password still opens it: no ALTER USER ran.
  const rogue = await connectAs(ROGUE, 'rogue-password-0123', false);
  await rogue.end();
  await expect(connectAs(ROGUE, 'another-password-0123', false)).rejects.toMatchObject({
    code: 'ER_ACCESS_DENIED_ERROR',
  });
});

/** The tables the latest migration that creates any (0005) creates. */
const LAST_MIGRATION_TABLES = ['order_status_counts'];

/**
 * Undoes the migrations from 0005 on (0006's and 0007's new indexes, then 0005's triggers, table
 * and journal rows) so that the next run applies them again. 0006 otherwise only replaces
 * indexes: run again, its ALTERs drop and re-add the ones it left.
 */
async function undoLastMigration(): Promise<void> {
  const db = `\`${tdb.name}\``;
  await root.query(`DROP INDEX \`idx_alerts_kind_raised\` ON ${db}.\`alerts\``);
  for (const index of ['idx_payment_reference', 'idx_payment_amount', 'ftx_payment_content'])
    await root.query(`DROP INDEX \`${index}\` ON ${db}.\`payment_transactions\``);
  for (const trigger of ['orders_count_insert', 'orders_count_update', 'orders_count_delete'])
    await root.query(`DROP TRIGGER ${db}.\`${trigger}\``);
  await root.query(`DROP TABLE ${db}.\`order_status_counts\``);
  await root.query(`DELETE FROM ${db}.__drizzle_migrations ORDER BY id DESC LIMIT 3`);
}

async function databaseGrants(user: string): Promise<string> {
  return (await grantsOf(user)).filter((line) => line.includes(`\`${tdb.name}\``)).join('\n');
}

test('a migration grants only the tables it created, only to accounts in the shape create-db-user leaves', async () => {
  // A DBA's deliberate revocation on a table that already exists stays revoked.
  await root.query(`REVOKE ALL PRIVILEGES ON \`${tdb.name}\`.\`outbox\` FROM ?@?`, [USER, '%']);
  // An account scoped to orders alone is no application user.
  await root.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON \`${tdb.name}\`.\`orders\` TO ?@?`, [ROGUE, '%']);
  await migrateDatabase(tdb.url, { warn: (message) => expect.fail(message) });
  expect(await databaseGrants(USER)).not.toContain('`outbox`');

  await undoLastMigration();
  // Grants outlive a dropped table: revoke them, so that the next run has to give them again.
  for (const table of LAST_MIGRATION_TABLES)
    await root.query(`REVOKE ALL PRIVILEGES ON \`${tdb.name}\`.\`${table}\` FROM ?@?`, [USER, '%']);
  const warnings: string[] = [];
  await migrateDatabase(tdb.url, { warn: (message) => warnings.push(message) });
  expect(warnings).toEqual([]);
  const grants = await databaseGrants(USER);
  for (const table of LAST_MIGRATION_TABLES)
    expect(grants).toMatch(
      new RegExp(`GRANT SELECT, INSERT, UPDATE, DELETE ON \`${tdb.name}\`\\.\`${table}\``),
    );
  expect(grants).not.toContain('`outbox`');
  expect(await databaseGrants(ROGUE)).not.toContain('`alerts`');
});

test('an owner without GRANT OPTION migrates, and is told the GRANT to run instead', async () => {
  const owner = `pf_owner_${randomBytes(4).toString('hex')}`;
  await root.query('CREATE USER ?@? IDENTIFIED BY ?', [owner, '%', 'owner-password-0123']);
  try {
    await root.query(`GRANT ALL PRIVILEGES ON \`${tdb.name}\`.* TO ?@?`, [owner, '%']);
    // Lets it see the other accounts' grants in information_schema, as a DBA's owner would.
    await root.query('GRANT SELECT ON mysql.* TO ?@?', [owner, '%']);
    await undoLastMigration();
    for (const table of LAST_MIGRATION_TABLES)
      await root.query(`REVOKE ALL PRIVILEGES ON \`${tdb.name}\`.\`${table}\` FROM ?@?`, [USER, '%']);
    const url = new URL(tdb.url);
    url.username = owner;
    url.password = 'owner-password-0123';
    const warnings: string[] = [];
    await migrateDatabase(url.toString(), { warn: (message) => warnings.push(message) });
    const [tables] = await root.query(
      "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'alerts'",
      [tdb.name],
    );
    expect(tables).toEqual([{ n: 1 }]);
    expect(warnings).toHaveLength(LAST_MIGRATION_TABLES.length);
    expect(warnings[0]).toContain(
      `run as an account with GRANT OPTION: GRANT SELECT, INSERT, UPDATE, DELETE ON \`${tdb.name}\`.\``,
    );
    expect(warnings.join('\n')).toContain(`TO '${USER}'@'%'`);
  } finally {
    await root.query('DROP USER IF EXISTS ?@?', [owner, '%']);
  }
});
