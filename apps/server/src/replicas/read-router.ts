import { createReadRouter, type Db, type ReadRouter } from '@paidflow/db';
import type { Logger } from '@paidflow/runtime';
import type { Registry } from 'prom-client';
import type { ReplicaSettings } from './env.ts';
import { registerReplicaMetrics } from './metrics.ts';

/**
 * The server's read handle: the primary alone without DATABASE_REPLICA_URLS, else the replicas
 * (polled every REPLICA_POLL_MS, with gauges on /metrics and a log line when one turns unhealthy
 * or healthy again). Call start() once the server listens, close() on shutdown.
 */
export function createServerReadRouter(options: {
  env: ReplicaSettings;
  primary: Db;
  logger: Logger;
  registry: Registry;
}): ReadRouter {
  const { env, primary, logger, registry } = options;
  if (env.DATABASE_REPLICA_URLS.length === 0) {
    return createReadRouter({ primary, replicaUrls: [], maxLagSeconds: 0, pollMs: 0 });
  }
  let router: ReadRouter | undefined;
  const metrics = registerReplicaMetrics(registry, () => router as ReadRouter);
  router = createReadRouter({
    primary,
    replicaUrls: env.DATABASE_REPLICA_URLS,
    maxLagSeconds: env.REPLICA_MAX_LAG_SECONDS,
    pollMs: env.REPLICA_POLL_MS,
    onChange(status) {
      if (status.healthy)
        logger.info({ replica: status.name, lagSeconds: status.lagSeconds }, 'replica serves reads');
      else
        logger.warn({ replica: status.name, problem: status.problem }, 'replica skipped: reads go elsewhere');
    },
    onRoute: (target) => metrics.routed.inc({ target }),
  });
  return router;
}
