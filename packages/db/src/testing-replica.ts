import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mysql, { type RowDataPacket } from 'mysql2/promise';

// A real primary and a real replica for tests and benchmarks: two mariadbd processes of our own,
// on spare ports, in temporary data directories, with GTID replication set up here. The
// machine's MariaDB (log_bin off) is left alone. Not a shipped code path.

const run = promisify(execFile);
const MARIADBD = process.env.TEST_MARIADBD ?? '/usr/sbin/mariadbd';
const INSTALL_DB = process.env.TEST_MARIADB_INSTALL_DB ?? 'mariadb-install-db';
// Small on purpose: two of these run on a 2-core test machine.
const SMALL = ['--innodb-buffer-pool-size=32M', '--innodb-log-file-size=8M', '--skip-name-resolve'];
const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];

/** A port the system had free a moment ago. */
async function sparePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface MariadbProcess {
  port: number;
  /** mysql://root@127.0.0.1:<port>/<database> */
  url(database?: string): string;
  /** Runs one statement as root on this server (a fresh connection). */
  query<T extends RowDataPacket[]>(sql: string, values?: unknown[]): Promise<T>;
  /** Whether the process is still running. */
  readonly running: boolean;
  /** SIGKILL: the server is gone at once, as in a crash. */
  kill(): Promise<void>;
}

/**
 * Each server's own temp dir. A starting mariadbd deletes every `#sql*` file in its tmpdir as a
 * leftover, so with a shared /tmp the primary's bootstrap removed the replica's temporary table
 * mid-bootstrap (or the reverse), and mariadb-install-db aborted with "Unknown table
 * 'mysql.tmp_user_sys'" (seen in CI).
 */
function tmpFor(dir: string, name: string): string {
  const tmp = path.join(dir, `${name}-tmp`);
  mkdirSync(tmp, { recursive: true });
  return tmp;
}

async function installDb(dir: string, name: string): Promise<void> {
  const datadir = path.join(dir, name);
  const args = [
    '--no-defaults',
    ...asRoot,
    `--datadir=${datadir}`,
    `--tmpdir=${tmpFor(dir, name)}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    '--skip-log-bin',
    ...SMALL,
  ];
  try {
    await run(INSTALL_DB, args);
  } catch (first) {
    // Once more from an empty data directory, then the error is real.
    rmSync(datadir, { recursive: true, force: true });
    await run(INSTALL_DB, args).catch((error: Error) => {
      throw new AggregateError([first, error], `mariadb-install-db failed twice: ${error.message}`);
    });
  }
}

function startMariadbd(dir: string, name: string, port: number, args: string[]): MariadbProcess {
  const datadir = path.join(dir, name);
  const log = openSync(path.join(dir, `${name}.log`), 'a');
  const child: ChildProcess = spawn(
    MARIADBD,
    [
      '--no-defaults',
      ...asRoot,
      `--datadir=${datadir}`,
      `--tmpdir=${tmpFor(dir, name)}`,
      `--socket=${path.join(dir, `${name}.sock`)}`,
      `--pid-file=${path.join(dir, `${name}.pid`)}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      ...SMALL,
      ...args,
    ],
    { stdio: ['ignore', log, log] },
  );
  let running = true;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => {
    running = false;
  });
  live.add(child);
  const url = (database = '') => `mysql://root@127.0.0.1:${port}/${database}`;
  return {
    port,
    url,
    get running() {
      return running;
    },
    async query<T extends RowDataPacket[]>(sql: string, values?: unknown[]) {
      const connection = await mysql.createConnection({ uri: url(), connectTimeout: 3_000 });
      try {
        const [rows] = await connection.query<T>(sql, values);
        return rows;
      } finally {
        await connection.end();
      }
    },
    async kill() {
      if (running) child.kill('SIGKILL');
      await exited;
      live.delete(child);
    },
  };
}

// Whatever a crashed test leaves: killed when the process exits.
const live = new Set<ChildProcess>();
const dirs = new Set<string>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function waitUntilUp(server: MariadbProcess, logFile: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await server.query('SELECT 1');
      return;
    } catch (error) {
      if (!server.running || Date.now() > deadline) {
        const tail = readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
        throw new Error(`mariadbd on ${server.port} did not start: ${(error as Error).message}\n${tail}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

export interface ReplicaPair {
  primary: MariadbProcess;
  replica: MariadbProcess;
  /** Resolves when the replica has applied everything the primary has written so far. */
  caughtUp(timeoutSeconds?: number): Promise<void>;
  /** SHOW SLAVE STATUS on the replica. */
  slaveStatus(): Promise<RowDataPacket | undefined>;
  /** Stops both servers and deletes their data directories (also after a failure). */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts a fresh primary (binary log, ROW format) and a fresh read-only replica of it, and
 * waits until the replica replicates (GTID, slave_pos). About 5 s on a 2-core machine.
 */
export async function startReplicaPair(): Promise<ReplicaPair> {
  const dir = mkdtempSync(path.join(tmpdir(), 'paidflow-replica-'));
  dirs.add(dir);
  const started: MariadbProcess[] = [];
  async function close(): Promise<void> {
    await Promise.allSettled(started.map((server) => server.kill()));
    rmSync(dir, { recursive: true, force: true });
    dirs.delete(dir);
  }
  try {
    await Promise.all(['primary', 'replica'].map((name) => installDb(dir, name)));
    const [primaryPort, replicaPort] = [await sparePort(), await sparePort()];
    const primary = startMariadbd(dir, 'primary', primaryPort, [
      '--server-id=1',
      `--log-bin=${path.join(dir, 'primary', 'binlog')}`,
      '--binlog-format=ROW',
    ]);
    started.push(primary);
    const replica = startMariadbd(dir, 'replica', replicaPort, ['--server-id=2', '--read-only']);
    started.push(replica);
    await Promise.all([
      waitUntilUp(primary, path.join(dir, 'primary.log')),
      waitUntilUp(replica, path.join(dir, 'replica.log')),
    ]);
    await primary.query("CREATE USER 'repl'@'%' IDENTIFIED BY 'repl'");
    await primary.query("GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%'");
    await replica.query(
      `CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${primaryPort}, MASTER_USER='repl',
       MASTER_PASSWORD='repl', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1`,
    );
    await replica.query('START SLAVE');
    const pair: ReplicaPair = {
      primary,
      replica,
      async caughtUp(timeoutSeconds = 20) {
        const [position] = await primary.query<RowDataPacket[]>('SELECT @@gtid_binlog_pos AS pos');
        const [waited] = await replica.query<RowDataPacket[]>('SELECT MASTER_GTID_WAIT(?, ?) AS result', [
          position?.pos ?? '',
          timeoutSeconds,
        ]);
        if (Number(waited?.result) !== 0)
          throw new Error(`the replica did not catch up with ${position?.pos}`);
      },
      async slaveStatus() {
        return (await replica.query<RowDataPacket[]>('SHOW SLAVE STATUS'))[0];
      },
      close,
      [Symbol.asyncDispose]: close,
    };
    await pair.caughtUp();
    return pair;
  } catch (error) {
    await close();
    throw error;
  }
}
