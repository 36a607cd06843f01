import type { DownloadJobData } from '@paidflow/contracts';
import type { Db } from '@paidflow/db';
import type { Logger } from '@paidflow/runtime';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ServerEnv } from './env.ts';
import type { ServerMetrics } from './metrics.ts';
import type { Notifier } from './notify/notifier.ts';
import type { RealtimeHub } from './realtime/hub.ts';
import type { RealtimeMetrics } from './realtime/metrics.ts';
import type { LiveSocketServer } from './ws.ts';

/**
 * Everything a procedure, route or service may use, built once in main.ts (or by a test) and
 * passed explicitly. Nothing reads a module singleton.
 */
export interface AppDeps {
  env: ServerEnv;
  db: Db;
  /** Commands and PUBLISH. The psubscribe connection is the realtime hub's own. */
  redis: Redis;
  logger: Logger;
  /** This process's Prometheus metrics (GET /metrics). */
  metrics: ServerMetrics;
  queue: Queue<DownloadJobData>;
  /** Customer notifications and admin alerts (SMTP when SMTP_URL is set, else a log line). */
  notifier: Notifier;
  /** Wakes the outbox drainer after a commit that wrote outbox rows (it also polls on its own). */
  kickOutbox(): void;
  /** The realtime hub (one psubscribe per process) behind the live subscriptions; absent in deps built without it. */
  realtime?: { hub: RealtimeHub; metrics: RealtimeMetrics };
  /** This process's WebSocket server, once attached: sign-out closes the session's sockets. */
  liveSockets?: Pick<LiveSocketServer, 'closeSession'>;
}
