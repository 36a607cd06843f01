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
/** MySQL's and MariaDB's answer to SHOW GRANTS for an account that does not exist. */
const ER_NONEXISTING_GRANT = 1141;

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
    const grantee = `'${user}'@'${host}'`;
    // Before anything changes: `--user root` must be refused with root's password untouched.
    const existing = await grantsOf(query, user, host);
    const global = existing ? beyondThisDatabase(existing) : [];
    if (global.length > 0) {
      throw new Error(
        `${grantee} holds global privileges (${global.join('; ')}): it is no least-privilege user; pick another name or revoke them`,
      );
    }
    if (existing) await query('ALTER USER ?@? IDENTIFIED BY ?', [user, host, password]);
    else await query('CREATE USER ?@? IDENTIFIED BY ?', [user, host, password]);
    const revoked = await revokeExtras(query, { user, host, grantee, database, tables });
    for (const table of tables) {
      await query(`GRANT ${APP_PRIVILEGES.join(', ')} ON \`${database}\`.\`${table}\` TO ?@?`, [user, host]);
    }
    return { created: !existing, tables, revoked };
  } finally {
    await connection.end();
  }
}

/** The account's SHOW GRANTS lines, or null when there is no such account. */
async function grantsOf(query: Query, user: string, host: string): Promise<string[] | null> {
  try {
    const rows = (await query('SHOW GRANTS FOR ?@?', [user, host])) as Array<Record<string, string>>;
    return rows.map((row) => Object.values(row)[0] ?? '');
  } catch (error) {
    if ((error as { errno?: number }).errno === ER_NONEXISTING_GRANT) return null;
    throw new Error(`cannot read the grants of '${user}'@'${host}': ${(error as Error).message}`);
  }
}

/**
 * What a grant list holds beyond one database's tables, in words: global privileges (anything but
 * USAGE on *.*, or GRANT OPTION there), PROXY, and roles, whose privileges may be global.
 */
function beyondThisDatabase(grants: string[]): string[] {
  const found: string[] = [];
  for (const line of grants) {
    const global = /^GRANT (.+?) ON \*\.\* TO /.exec(line);
    if (global && (global[1] !== 'USAGE' || / WITH GRANT OPTION\b/.test(line)))
      found.push(`${global[1]}${/ WITH GRANT OPTION\b/.test(line) ? ' WITH GRANT OPTION' : ''} on *.*`);
    else if (/^GRANT PROXY ON /.test(line)) found.push('PROXY');
    else if (!/ ON /.test(line) && /^GRANT /.test(line)) found.push(`role ${line.slice(6).split(' TO ')[0]}`);
  }
  return found;
}

/** Paidflow's tables in a database: every base table but drizzle's journal. */
export async function paidflowTables(query: Query, database: string): Promise<string[]> {
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

/** The tables create-db-user's accounts are recognised by (docs/security.md, decision 053). */
const MARKER_TABLES = ['orders', 'download_tasks', 'order_audit_logs'] as const;

export interface GrantSync {
  /** The accounts recognised as application users. */
  accounts: string[];
  /** The GRANT statements run. */
  granted: string[];
}

/**
 * After a migration that created tables: the application users get APP_PRIVILEGES on those
 * tables, and on nothing else (a DBA's revocation on an older table stays). An application user
 * is an account in the shape create-db-user leaves it: exactly APP_PRIVILEGES, without GRANT
 * OPTION, on each of MARKER_TABLES, and no database-wide grant. A GRANT that fails (an owner
 * without GRANT OPTION) is reported through `warn` with the statement to run, and does not fail
 * the migration. Run on the owner's connection to the database.
 */
export async function syncAppUserGrants(
  connection: mysql.Connection,
  input: { database: string; createdTables: string[]; warn: (message: string) => void },
): Promise<GrantSync> {
  const { database, createdTables, warn } = input;
  const query: Query = async (sql, values) => (await connection.query(sql, values))[0];
  const result: GrantSync = { accounts: [], granted: [] };
  if (createdTables.length === 0) return result;
  result.accounts = await appUsers(query, database);
  for (const account of result.accounts) {
    for (const table of createdTables) {
      const statement = `GRANT ${APP_PRIVILEGES.join(', ')} ON \`${database}\`.\`${table}\` TO ${account}`;
      try {
        await query(statement);
        result.granted.push(statement);
      } catch (error) {
        warn(
          `could not give the application user ${account} its privileges on the new table ${table} (${(error as Error).message}); run as an account with GRANT OPTION: ${statement}`,
        );
      }
    }
  }
  return result;
}

async function appUsers(query: Query, database: string): Promise<string[]> {
  const rows = (await query(
    'SELECT GRANTEE AS g, TABLE_NAME AS t, PRIVILEGE_TYPE AS p, IS_GRANTABLE AS o FROM information_schema.TABLE_PRIVILEGES WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?)',
    [database, MARKER_TABLES],
  )) as Array<{ g: string; t: string; p: string; o: string }>;
  const schemaWide = new Set(
    (
      (await query(
        'SELECT DISTINCT GRANTEE AS g FROM information_schema.SCHEMA_PRIVILEGES WHERE TABLE_SCHEMA = ?',
        [database],
      )) as Array<{ g: string }>
    ).map((row) => row.g),
  );
  const expected = [...APP_PRIVILEGES].sort().join(',');
  const accounts: string[] = [];
  for (const grantee of new Set(rows.map((row) => row.g))) {
    // GRANTEE is 'user'@'host' with the quotes MySQL adds; create-db-user's names need no escaping.
    if (schemaWide.has(grantee) || !/^'[A-Za-z0-9_.-]+'@'[A-Za-z0-9_.%:-]+'$/.test(grantee)) continue;
    const mine = rows.filter((row) => row.g === grantee);
    const exact = MARKER_TABLES.every((table) => {
      const onTable = mine.filter((row) => row.t === table);
      const privileges = onTable
        .map((row) => row.p)
        .sort()
        .join(',');
      return privileges === expected && onTable.every((row) => row.o === 'NO');
    });
    if (exact) accounts.push(grantee);
  }
  return accounts.sort();
}
