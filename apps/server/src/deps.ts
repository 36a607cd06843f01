import type { DownloadJobData } from '@paidflow/contracts';
import type { Db } from '@paidflow/db';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ServerEnv } from './env.ts';
import type { Logger } from './logger.ts';

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
  queue: Queue<DownloadJobData>;
}
