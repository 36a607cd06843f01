import mysql from 'mysql2/promise';
import { splitDatabaseUrl } from './client.ts';

/**
 * The application user (docs/security.md): the server and the workers' server connect as a user
 * holding only these privileges, on each of Paidflow's tables. Migrations, the seed, backups and
 * benchmarks run as the owner (MIGRATION_DATABASE_URL, else DATABASE_URL).
 */
export const APP_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;
/** drizzle's journal of applied migrations: the owner's alone. */
const MIGRATIONS_TABLE = '__drizzle_migrations';
const NAME = /^[A-Za-z0-9_.-]{1,80}$/;
const HOST = /^[A-Za-z0-9_.%:-]{1,255}$/;
const MIN_PASSWORD = 12;

export interface DbUserOptions {
  user: string;
  /** The host part of the account ('%': any). */
  host: string;
  /** The database whose tables the user may read and write. */
  database: string;
  password: string;
}

export interface DbUserResult {
  created: boolean;
  tables: string[];
  /** Grants found on the database or its tables beyond the application's, now revoked. */
  revoked: string[];
}

type Query = (sql: string, values?: unknown[]) => Promise<unknown>;

/**
 * Creates the application user, or brings an existing one in line: its password is set, it
 * holds exactly APP_PRIVILEGES on each of the database's tables but the migration journal, and
 * anything more it held on this database (database-wide grants, other privileges, GRANT OPTION)
 * is revoked. A user with global privileges is refused: it is no least-privilege user, and its
 * grants elsewhere are not this command's to change. Run as the owner, who holds GRANT OPTION.
 */
export async function createDbUser(ownerUrl: string, options: DbUserOptions): Promise<DbUserResult> {
  const { user, host, database, password } = options;
  if (!NAME.test(user)) throw new Error(`--user must be 1-80 letters, digits, _ . or -: got "${user}"`);
  if (!HOST.test(host)) throw new Error(`--host must be a host name, address or pattern: got "${host}"`);
  if (!/^[A-Za-z0-9_]+$/.test(database))
    throw new Error(`--database must be letters, digits and _: got "${database}"`);
  if (password.length < MIN_PASSWORD)
    throw new Error(`the password must be at least ${MIN_PASSWORD} characters`);
  const { serverUrl } = splitDatabaseUrl(ownerUrl);
  const connection = await mysql.createConnection({ uri: serverUrl, connectTimeout: 5_000 });
  const query: Query = async (sql, values) => (await connection.query(sql, values))[0];
  try {
    const tables = await paidflowTables(query, database);
    if (tables.length === 0)
      throw new Error(`database "${database}" has no tables: run \`npm run migrate\` first`);
    const [created] = (await connection.query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', [
      user,
      host,
      password,
    ])) as unknown as [{ warningStatus: number }];
    const existed = created.warningStatus > 0;
    if (existed) await query('ALTER USER ?@? IDENTIFIED BY ?', [user, host, password]);
    const grantee = `'${user}'@'${host}'`;
    const global = (await query(
      "SELECT PRIVILEGE_TYPE AS p FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ? AND PRIVILEGE_TYPE <> 'USAGE'",
      [grantee],
    )) as Array<{ p: string }>;
    if (global.length > 0) {
      throw new Error(
        `${grantee} holds global privileges (${global.map((row) => row.p).join(', ')}): it is no least-privilege user; pick another name or revoke them`,
      );
    }
    const revoked = await revokeExtras(query, { user, host, grantee, database, tables });
    for (const table of tables) {
      await query(`GRANT ${APP_PRIVILEGES.join(', ')} ON \`${database}\`.\`${table}\` TO ?@?`, [user, host]);
    }
    return { created: !existed, tables, revoked };
  } finally {
    await connection.end();
  }
}

/** Paidflow's tables in a database: every base table but drizzle's journal. */
async function paidflowTables(query: Query, database: string): Promise<string[]> {
  const rows = (await query(
    "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME <> ? ORDER BY TABLE_NAME",
    [database, MIGRATIONS_TABLE],
  )) as Array<{ t: string }>;
  return rows.map((row) => row.t);
}

async function revokeExtras(
  query: Query,
  input: { user: string; host: string; grantee: string; database: string; tables: string[] },
): Promise<string[]> {
  const { user, host, grantee, database } = input;
  const revoked: string[] = [];
  const schema = (await query(
    'SELECT PRIVILEGE_TYPE AS p, IS_GRANTABLE AS g FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = ? AND TABLE_SCHEMA = ?',
    [grantee, database],
  )) as Array<{ p: string; g: string }>;
  if (schema.length > 0) {
    await query(`REVOKE ALL PRIVILEGES ON \`${database}\`.* FROM ?@?`, [user, host]);
    if (schema.some((row) => row.g === 'YES'))
      await query(`REVOKE GRANT OPTION ON \`${database}\`.* FROM ?@?`, [user, host]);
    revoked.push(`${schema.map((row) => row.p).join(', ')} on ${database}.*`);
  }
  const table = (await query(
    'SELECT TABLE_NAME AS t, PRIVILEGE_TYPE AS p, IS_GRANTABLE AS g FROM information_schema.TABLE_PRIVILEGES WHERE GRANTEE = ? AND TABLE_SCHEMA = ?',
    [grantee, database],
  )) as Array<{ t: string; p: string; g: string }>;
  const allowed = new Set<string>(APP_PRIVILEGES);
  for (const name of new Set(table.map((row) => row.t))) {
    const rows = table.filter((row) => row.t === name);
    const extra = rows.filter((row) => !allowed.has(row.p) || !input.tables.includes(name));
    const grantable = rows.some((row) => row.g === 'YES');
    if (extra.length === 0 && !grantable) continue;
    await query(`REVOKE ALL PRIVILEGES ON \`${database}\`.\`${name}\` FROM ?@?`, [user, host]);
    if (grantable) await query(`REVOKE GRANT OPTION ON \`${database}\`.\`${name}\` FROM ?@?`, [user, host]);
    revoked.push(
      `${[...extra.map((row) => row.p), ...(grantable ? ['GRANT OPTION'] : [])].join(', ')} on ${database}.${name}`,
    );
  }
  return revoked;
}

/**
 * After a migration: every application user of the database (one holding APP_PRIVILEGES on
 * `orders`) gets them on each table too, so that a migration that adds a table needs no second
 * step. Run on the owner's connection to the database.
 */
export async function syncAppUserGrants(connection: mysql.Connection, database: string): Promise<string[]> {
  const query: Query = async (sql, values) => (await connection.query(sql, values))[0];
  const rows = (await query(
    `SELECT GRANTEE AS g FROM information_schema.TABLE_PRIVILEGES
     WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'orders' AND PRIVILEGE_TYPE IN (?)
     GROUP BY GRANTEE HAVING COUNT(DISTINCT PRIVILEGE_TYPE) = ?`,
    [database, APP_PRIVILEGES, APP_PRIVILEGES.length],
  )) as Array<{ g: string }>;
  if (rows.length === 0) return [];
  const tables = await paidflowTables(query, database);
  for (const { g } of rows) {
    const match = /^'(.*)'@'(.*)'$/.exec(g);
    if (!match) continue;
    for (const table of tables) {
      await query(`GRANT ${APP_PRIVILEGES.join(', ')} ON \`${database}\`.\`${table}\` TO ?@?`, [
        match[1],
        match[2],
      ]);
    }
  }
  return rows.map((row) => row.g);
}
