import { withReplicas } from 'drizzle-orm/mysql-core';
import type { RowDataPacket } from 'mysql2';
import { createDb, type Db, type DbHandle } from './client.ts';

/** What the last poll of one replica found. */
export interface ReplicaStatus {
  /** host:port of its URL: never the user or the password (a metric label). */
  name: string;
  /** Replicating (IO and SQL threads running) and no further behind than the lag bound. */
  healthy: boolean;
  /** Seconds_Behind_Master; null when the replica does not say (a thread stopped, unreachable). */
  lagSeconds: number | null;
  /** Why it is not healthy, for the log; null when it is. */
  problem: string | null;
}

/**
 * The dashboard's read handle (decision 056). `db` sends selects to a healthy replica, and
 * everything else (insert, update, delete, execute, transaction) to the primary, through drizzle's
 * withReplicas. A replica is skipped while its lag is beyond the bound, its replication stopped,
 * or it cannot be reached; with none healthy the primary serves the reads. Without replica URLs
 * `db` is the primary itself.
 */
export interface ReadRouter {
  db: Db;
  /** Whether any replica is configured (else `db` is the primary and there is nothing to route). */
  readonly replicated: boolean;
  /** Every replica's status as of its last poll, in the order of the URLs. */
  statuses(): ReplicaStatus[];
  /** Polls every replica now (start() polls on its own); resolves when the statuses are fresh. */
  poll(): Promise<void>;
  /** Polls now and then every pollMs (the timer does not hold the process open). */
  start(): void;
  /** Stops polling and closes the replicas' pools (not the primary's). */
  close(): Promise<void>;
}

export interface ReadRouterOptions {
  primary: Db;
  replicaUrls: readonly string[];
  /** A replica further behind than this many seconds is skipped. */
  maxLagSeconds: number;
  /** How often each replica's SHOW SLAVE STATUS is read. */
  pollMs: number;
  /** A poll slower than this marks the replica unhealthy (a hung host). Default: pollMs, at least 500. */
  pollTimeoutMs?: number;
  /** Pool size per replica. */
  connectionLimit?: number;
  /** Told when a replica turns healthy or unhealthy (the server logs it). */
  onChange?: (status: ReplicaStatus) => void;
  /** Told which handle a select was routed to: a replica's name, or 'primary' when none was healthy. */
  onRoute?: (target: string) => void;
}

interface Replica {
  handle: DbHandle;
  status: ReplicaStatus;
  polled: boolean;
}

/** host:port of a mysql URL: names a replica in logs and metric labels without its credentials. */
export function replicaName(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '3306'}`;
}

type SlaveStatusRow = RowDataPacket & {
  Slave_IO_Running?: string;
  Slave_SQL_Running?: string;
  Seconds_Behind_Master?: number | null;
  Last_IO_Error?: string;
  Last_SQL_Error?: string;
};

/** A replica's status from its SHOW SLAVE STATUS row (undefined: it replicates from nobody). */
export function statusFromRow(
  name: string,
  row: SlaveStatusRow | undefined,
  maxLagSeconds: number,
): ReplicaStatus {
  if (!row) return { name, healthy: false, lagSeconds: null, problem: 'not a replica (no SLAVE STATUS)' };
  const lag = row.Seconds_Behind_Master ?? null;
  const lagSeconds = lag === null ? null : Number(lag);
  if (row.Slave_IO_Running !== 'Yes' || row.Slave_SQL_Running !== 'Yes') {
    const error = row.Last_SQL_Error || row.Last_IO_Error || '';
    const threads = `IO ${row.Slave_IO_Running ?? '?'}, SQL ${row.Slave_SQL_Running ?? '?'}`;
    return { name, healthy: false, lagSeconds, problem: `replication stopped (${threads}) ${error}`.trim() };
  }
  if (lagSeconds === null) return { name, healthy: false, lagSeconds, problem: 'lag unknown' };
  if (lagSeconds > maxLagSeconds) {
    return { name, healthy: false, lagSeconds, problem: `${lagSeconds} s behind (bound ${maxLagSeconds} s)` };
  }
  return { name, healthy: true, lagSeconds, problem: null };
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Builds the read handle of the primary and DATABASE_REPLICA_URLS; see ReadRouter. */
export function createReadRouter(options: ReadRouterOptions): ReadRouter {
  const { primary, maxLagSeconds, pollMs } = options;
  const pollTimeoutMs = options.pollTimeoutMs ?? Math.max(500, pollMs);
  if (options.replicaUrls.length === 0) {
    return {
      db: primary,
      replicated: false,
      statuses: () => [],
      poll: async () => {},
      start: () => {},
      close: async () => {},
    };
  }
  const replicas: Replica[] = options.replicaUrls.map((url) => ({
    handle: createDb({ url, connectionLimit: options.connectionLimit ?? 10 }),
    // Unhealthy until the first poll says otherwise: reads start on the primary.
    status: { name: replicaName(url), healthy: false, lagSeconds: null, problem: 'not polled yet' },
    polled: false,
  }));
  const byDb = new Map(replicas.map((replica) => [replica.handle.db as Db, replica]));
  let next = 0;

  // Round robin over the healthy replicas; the primary when none is.
  function getReplica(candidates: Db[]): Db {
    const healthy = candidates.filter((db) => byDb.get(db)?.status.healthy);
    const chosen = healthy.length ? healthy[next++ % healthy.length] : undefined;
    options.onRoute?.(chosen ? (byDb.get(chosen)?.status.name ?? 'replica') : 'primary');
    return chosen ?? primary;
  }
  const [first, ...rest] = replicas.map((replica) => replica.handle.db as Db);
  const db = withReplicas(primary, [first as Db, ...rest], getReplica) as Db;

  async function pollOne(replica: Replica): Promise<void> {
    const { name } = replica.status;
    let status: ReplicaStatus;
    try {
      const [rows] = await withTimeout(
        replica.handle.pool.query<SlaveStatusRow[]>({ sql: 'SHOW SLAVE STATUS', timeout: pollTimeoutMs }),
        pollTimeoutMs,
      );
      status = statusFromRow(name, rows[0], maxLagSeconds);
    } catch (error) {
      status = {
        name,
        healthy: false,
        lagSeconds: null,
        problem: `unreachable: ${(error as Error).message}`,
      };
    }
    const changed = !replica.polled || status.healthy !== replica.status.healthy;
    replica.status = status;
    replica.polled = true;
    if (changed) options.onChange?.(status);
  }

  let running: Promise<void> | null = null;
  function poll(): Promise<void> {
    // One poll at a time: a caller during a poll waits for that one.
    running ??= Promise.all(replicas.map(pollOne)).then(() => {
      running = null;
    });
    return running;
  }

  let timer: NodeJS.Timeout | undefined;
  return {
    db,
    replicated: true,
    statuses: () => replicas.map((replica) => ({ ...replica.status })),
    poll,
    start() {
      if (timer) return;
      void poll();
      timer = setInterval(() => void poll(), pollMs);
      timer.unref();
    },
    async close() {
      clearInterval(timer);
      timer = undefined;
      await running;
      await Promise.allSettled(replicas.map((replica) => replica.handle.close()));
    },
  };
}
