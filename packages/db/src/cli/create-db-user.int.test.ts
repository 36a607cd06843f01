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

async function connectAs(user: string, password: string) {
  const url = new URL(tdb.url);
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

test('a user with global privileges is refused, and keeps them', async () => {
  await root.query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', [ROGUE, '%', 'rogue-password-0123']);
  await root.query('GRANT PROCESS ON *.* TO ?@?', [ROGUE, '%']);
  const run = cli(['--user', ROGUE], { env: { DB_USER_PASSWORD: 'rogue-password-0123' } });
  expect(run.status).toBe(1);
  expect(run.stderr).toMatch(/holds global privileges \(PROCESS\)/);
  expect((await grantsOf(ROGUE)).join('\n')).toMatch(/PROCESS/);
});

test('a migration gives an application user its privileges on every table, new ones included', async () => {
  await root.query(`REVOKE ALL PRIVILEGES ON \`${tdb.name}\`.\`alerts\` FROM ?@?`, [USER, '%']);
  expect((await grantsOf(USER)).join('\n')).not.toContain('`alerts`');
  await migrateDatabase(tdb.url);
  expect((await grantsOf(USER)).join('\n')).toContain('`alerts`');
  // A user with less than the four on orders is no application user: a migration leaves it alone.
  expect((await grantsOf(ROGUE)).join('\n')).not.toContain(`\`${tdb.name}\``);
});
