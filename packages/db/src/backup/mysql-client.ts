import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Where a mysql:// URL points, as the mariadb command-line tools take it. */
export interface MysqlTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** Reads a mysql:// URL; the database part may be empty (a server URL). */
export function mysqlTarget(url: string): MysqlTarget {
  const parsed = new URL(url);
  if (parsed.protocol !== 'mysql:') throw new Error(`not a mysql:// URL: ${parsed.protocol}`);
  return {
    host: parsed.hostname || '127.0.0.1',
    port: Number(parsed.port || 3306),
    user: decodeURIComponent(parsed.username || 'root'),
    password: decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')),
  };
}

/** A database name we are willing to put in a command line or a statement. */
export function checkDatabaseName(name: string): string {
  if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) {
    throw new Error(`a database name is made of letters, digits and _ (at most 64): got "${name}"`);
  }
  return name;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds.
const CONTROL = /[\u0000-\u001f\u007f]/;
/** What the tools inherit of our environment: nothing with a password in it (DATABASE_URL...). */
const CHILD_ENV_KEYS = ['PATH', 'HOME', 'LANG', 'TZ'] as const;

/** The few variables the mariadb tools need, as far as they are set. */
export function childEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const picked: NodeJS.ProcessEnv = {};
  for (const key of CHILD_ENV_KEYS) if (env[key] !== undefined) picked[key] = env[key];
  return picked;
}

/**
 * A private option file (mode 0600, in a fresh temporary directory) with the connection and
 * password, so that the password is never in argv nor in the environment of the child. Removed by
 * the returned cleanup.
 */
async function optionFile(target: MysqlTarget): Promise<{ file: string; cleanup: () => Promise<void> }> {
  for (const [name, value] of [
    ['password', target.password],
    ['user name', target.user],
    ['host', target.host],
  ] as const) {
    // A line break ends the option early; the tools read no escape for it, nor for other controls.
    if (CONTROL.test(value))
      throw new Error(
        `the ${name} of the database URL holds a control character (a line break, tab, NUL...): the mariadb tools' option file cannot carry it; pick one without`,
      );
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'paidflow-mysql-'));
  const file = path.join(dir, 'client.cnf');
  const quote = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const lines = ['[client]', `host=${target.host}`, `port=${target.port}`, `user=${quote(target.user)}`];
  if (target.password) lines.push(`password=${quote(target.password)}`);
  await writeFile(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return { file, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface MysqlChild {
  child: ReturnType<typeof spawn>;
  /** Resolves when the tool exits 0; rejects with its stderr otherwise. */
  done: Promise<void>;
}

/**
 * Starts a mariadb tool (mariadb-dump, mariadb) against `target` with the password in an option
 * file. Its stdin/stdout are pipes for the caller; stderr is collected for the error message.
 */
export async function spawnMysqlTool(
  tool: 'mariadb-dump' | 'mariadb',
  target: MysqlTarget,
  args: string[],
): Promise<MysqlChild> {
  const options = await optionFile(target);
  // --defaults-extra-file must come first; the tools read it before anything else.
  const child = spawn(tool, [`--defaults-extra-file=${options.file}`, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: childEnv(),
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    if (stderr.length < 10_000) stderr += chunk;
  });
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', (error) => {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      reject(
        missing
          ? new Error(`${tool} is not installed (apt-get install -y mariadb-client)`)
          : new Error(`${tool} failed to start: ${error.message}`),
      );
    });
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${tool} exited ${code ?? signal}: ${stderr.trim() || 'no message'}`));
    });
  }).finally(() => options.cleanup());
  return { child, done };
}
