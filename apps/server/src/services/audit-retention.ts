import type { RedisNamespace } from '@paidflow/contracts';
import type { Db } from '@paidflow/db';
import type { Logger, RedisClient } from '@paidflow/runtime';
import type { ServerEnv } from '../env.ts';
import { type ArchivePassResult, archiveAuditOnce } from './audit-archiver.ts';
import { periodic } from './periodic.ts';
import { createRedisLease } from './redis-lease.ts';

type RetentionDeps = {
  db: Db;
  redis: RedisClient;
  logger: Logger;
  namespace: RedisNamespace;
  env: ServerEnv;
};

const DAY_MS = 86_400_000;
/** The lease outlives a stalled holder by this much at most; it is renewed at every step. */
const LEASE_MS = 60_000;

export interface AuditRetention {
  start(): void;
  stop(): Promise<void>;
  /** One pass now, if this process gets the lease; null when another server holds it or it failed. */
  runOnce(): Promise<ArchivePassResult | null>;
}

/**
 * The audit retention job (AUDIT_RETENTION_DAYS; decision 055): every AUDIT_ARCHIVE_INTERVAL_MS,
 * the server that takes the Redis lease (redis-lease.ts, renewed at every page and batch, and
 * released after the pass) archives audit rows older than the retention to ARCHIVE_DIR, then deletes them
 * in small batches. A server that loses the lease stops at its next step; the next holder resumes.
 */
export function createAuditRetention(deps: RetentionDeps): AuditRetention {
  const { env } = deps;
  const lease = createRedisLease(deps.redis, {
    key: deps.namespace.key('audit-retention:lease'),
    ttlMs: LEASE_MS,
  });
  let stopping = false;

  async function runOnce(): Promise<ArchivePassResult | null> {
    const days = env.AUDIT_RETENTION_DAYS;
    if (days === undefined) return null;
    try {
      if (!(await lease.acquire())) return null;
    } catch (error) {
      deps.logger.warn({ err: error }, 'audit retention: no lease (Redis unavailable?); will retry');
      return null;
    }
    // Renewed before every page written, before the record and between deletes (one Redis call
    // per 1,000 rows): a holder that stalled past the lease finds out at its next step.
    const keepGoing = async () => {
      if (stopping) return false;
      const renewed = await lease.renew().catch(() => false);
      if (!renewed) {
        deps.logger.warn('audit retention: lease lost; stopping this pass');
        return false;
      }
      return true;
    };
    const started = Date.now();
    try {
      const result = await archiveAuditOnce(deps, {
        dir: env.ARCHIVE_DIR,
        cutoff: new Date(started - days * DAY_MS),
        batch: env.AUDIT_ARCHIVE_BATCH,
        pauseMs: env.AUDIT_ARCHIVE_PAUSE_MS,
        fileRows: env.AUDIT_ARCHIVE_FILE_ROWS,
        keepGoing,
      });
      if (result.files.length > 0 || result.deleted > 0) {
        deps.logger.info(
          { files: result.files, deleted: result.deleted, resumed: result.resumed, ms: Date.now() - started },
          'audit retention: archived audit rows',
        );
      }
      return result;
    } catch (error) {
      deps.logger.error({ err: error }, 'audit retention: pass failed; the next one resumes it');
      return null;
    } finally {
      await lease.release().catch(() => {});
    }
  }

  const job = periodic(runOnce, env.AUDIT_ARCHIVE_INTERVAL_MS);
  return {
    start() {
      if (env.AUDIT_RETENTION_DAYS !== undefined) job.start();
    },
    async stop() {
      stopping = true;
      await job.stop();
    },
    runOnce,
  };
}
