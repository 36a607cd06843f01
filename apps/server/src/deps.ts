import type { DownloadJobData, RedisNamespace } from '@paidflow/contracts';
import type { Db, ReadRouter } from '@paidflow/db';
import type { Logger, RedisClient } from '@paidflow/runtime';
import type { Queue } from 'bullmq';
import type { SessionSockets } from './auth/session-sockets.ts';
import type { ServerEnv } from './env.ts';
import type { Limits } from './limits/limits.ts';
import type { ServerMetrics } from './metrics.ts';
import type { Notifier } from './notify/notifier.ts';
import type { RealtimeHub } from './realtime/hub.ts';
import type { RealtimeMetrics } from './realtime/metrics.ts';

/**
 * Everything a procedure, route or service may use, built once, whole, by startServer (app.ts)
 * and passed explicitly. Nothing reads a module singleton, and nothing is assigned later.
 */
export interface AppDeps {
  env: ServerEnv;
  /** The Redis key and channel prefix of REDIS_PREFIX, computed once. */
  namespace: RedisNamespace;
  db: Db;
  /**
   * The dashboard's read handle (decision 056): `reads.db` prefers a healthy replica of
   * DATABASE_REPLICA_URLS; it is `db` itself without them. Only viewerReadProcedure uses it.
   */
  reads: ReadRouter;
  /** Commands and PUBLISH (one server or a cluster). The psubscribe connection is the realtime hub's own. */
  redis: RedisClient;
  logger: Logger;
  /** This process's Prometheus metrics (GET /metrics). */
  metrics: ServerMetrics;
  queue: Queue<DownloadJobData>;
  /** Customer notifications and admin alerts (SMTP when SMTP_URL is set, else a log line). */
  notifier: Notifier;
  /** Wakes the outbox drainer after a commit that wrote outbox rows (it also polls on its own). */
  kickOutbox(): void;
  /** The realtime hub (one psubscribe per process) behind the live subscriptions. */
  realtime: { hub: RealtimeHub; metrics: RealtimeMetrics };
  /** This process's WebSockets by session: sign-out closes the session's sockets. */
  sessionSockets: SessionSockets;
  /** Every door's rate limit, kept in Redis and shared by the server processes (limits/). */
  limits: Limits;
}
