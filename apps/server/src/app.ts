import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { DOWNLOAD_QUEUE, type DownloadJobData, redisNamespace } from '@paidflow/contracts';
import { createDb } from '@paidflow/db';
import type { Logger } from '@paidflow/runtime';
import { createRedis, queueTelemetry, redisTarget, whenReady } from '@paidflow/runtime';
import { Queue } from 'bullmq';
import { type AlertEvaluator, createAlertEvaluator } from './alerts/evaluator.ts';
import { resolveSession } from './auth/session.ts';
import { createSessionSockets } from './auth/session-sockets.ts';
import { deliveryRoutes } from './delivery/routes.ts';
import type { AppDeps } from './deps.ts';
import type { ServerEnv } from './env.ts';
import { healthRoutes } from './health.ts';
import { createHttpServer } from './http.ts';
import { tracedRoute } from './http-tracing.ts';
import { createLimits } from './limits/limits.ts';
import { limitedByAddress } from './limits/routes.ts';
import { createServerMetrics } from './metrics.ts';
import { registerOpsGauges } from './monitoring/gauges.ts';
import { timedWebhookRoute } from './monitoring/webhook-timing.ts';
import { createNotifier } from './notify/create-notifier.ts';
import { createRealtimeHub } from './realtime/hub.ts';
import { createRealtimeMetrics } from './realtime/metrics.ts';
import { createOrderProgressRelay } from './realtime/order-progress-relay.ts';
import { createServerReadRouter } from './replicas/read-router.ts';
import { createAuditRetention } from './services/audit-retention.ts';
import { createOutboxDrainer } from './services/outbox-drainer.ts';
import { createReconciler } from './services/reconciler.ts';
import { staticSpa } from './static.ts';
import { contextFactory } from './trpc/context.ts';
import { appRouter } from './trpc/routers/_app.ts';
import { sepayWebhookRoute } from './webhooks/sepay.ts';
import { attachWebSocketServer } from './ws.ts';

export interface RunningServer {
  port: number;
  url: string;
  deps: AppDeps;
  /** The alert evaluator (started when ALERTS_ENABLED; tests run its checks one at a time). */
  alerts: AlertEvaluator;
  /** Stops taking requests, tells WebSocket clients to reconnect, then closes every connection. */
  close(): Promise<void>;
}

/**
 * Builds the dependencies and starts the one HTTP server (tRPC over HTTP and WebSocket, webhooks,
 * health, metrics). main.ts calls it with the process environment, tests with port 0.
 */
export async function startServer(env: ServerEnv, logger: Logger): Promise<RunningServer> {
  const namespace = redisNamespace(env.REDIS_PREFIX);
  const database = createDb({ url: env.DATABASE_URL });
  // REDIS_CLUSTER_NODES puts every Redis client into cluster mode (decision 058).
  const target = redisTarget(env);
  const redis = createRedis(target, logger);
  // The queue's connection is ours (its 'error' listener logs once per outage): BullMQ takes its
  // own listener off on close while ioredis may still reconnect ("Unhandled error event").
  const queueRedis = createRedis(target, logger, { connectionName: 'queue' });
  const queue = new Queue<DownloadJobData>(DOWNLOAD_QUEUE, {
    connection: queueRedis,
    prefix: namespace.queuePrefix,
    // Tracing on: each job carries its producer span, and its worker continues the trace.
    telemetry: queueTelemetry(),
  });
  queue.on('error', (error) => logger.warn({ err: error }, 'queue connection error'));
  const notifier = createNotifier(env, logger);
  const metrics = createServerMetrics();
  // The dashboard's reads: replicas of DATABASE_REPLICA_URLS when healthy, else the primary (decision 056).
  const reads = createServerReadRouter({ env, primary: database.db, logger, registry: metrics.registry });
  // One psubscribe connection per process feeds every live subscription.
  const realtimeMetrics = createRealtimeMetrics(metrics.registry);
  // order:{id}:progress between status changes follows the task ticks the hub hears.
  const orderProgress = createOrderProgressRelay({ redis, namespace, logger });
  const hub = createRealtimeHub({
    redis: target,
    namespace,
    logger,
    metrics: realtimeMetrics,
    onLiveUpdate: (event) => orderProgress.onLiveUpdate(event),
    onDown: () => orderProgress.suspend(),
    onResync: () => orderProgress.reset(),
    publish: (channel, message) => redis.publish(channel, message),
  });
  // A commit that wrote outbox rows wakes the drainer; the drainer, built from the deps, listens.
  const outboxWritten = new EventEmitter();
  const deps: AppDeps = {
    env,
    namespace,
    db: database.db,
    reads,
    redis,
    logger,
    metrics,
    queue,
    notifier,
    realtime: { hub, metrics: realtimeMetrics },
    sessionSockets: createSessionSockets(logger),
    limits: createLimits({ env, redis, namespace, logger }),
    kickOutbox: () => outboxWritten.emit('kick'),
  };
  // Read when /metrics is scraped: dependencies, Redis memory, the queue and the MySQL backlogs.
  registerOpsGauges(deps);
  const drainer = createOutboxDrainer(deps, { intervalMs: env.OUTBOX_POLL_MS });
  outboxWritten.on('kick', () => drainer.kick());
  const reconciler = createReconciler(deps, {
    intervalMs: env.RECONCILE_INTERVAL_MS,
    staleSeconds: env.RECONCILE_STALE_SECONDS,
  });
  // Alerts a person receives: one evaluator across the servers, by a lease (docs/alerts.md).
  const alerts = createAlertEvaluator(deps);
  // AUDIT_RETENTION_DAYS: archive, then delete, old audit rows (one server at a time; decision 055).
  const auditRetention = createAuditRetention(deps);

  // The payment webhook, limited per source address (429 + Retry-After: the provider retries).
  const sepayRoute = limitedByAddress(
    tracedRoute(sepayWebhookRoute(deps)),
    deps.limits.webhookIp,
    env.TRUST_PROXY,
  );
  const server = createHttpServer({
    deps,
    metrics,
    router: appRouter,
    createContext: contextFactory(deps, resolveSession),
    routes: [
      ...healthRoutes(deps, metrics),
      timedWebhookRoute(sepayRoute, { provider: 'sepay', histogram: metrics.webhookDuration }),
      ...deliveryRoutes(deps),
    ],
    fallback: env.WEB_DIST_DIR ? staticSpa(env.WEB_DIST_DIR) : undefined,
  });

  const live = attachWebSocketServer({
    server,
    deps,
    router: appRouter,
    resolveSession,
    metrics: realtimeMetrics,
    pingMs: env.WS_PING_MS,
  });
  await hub.start();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(env.PORT, env.HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  // A development server on a port the system picked (tests) links customers to that port.
  if (env.PORT === 0 && env.PUBLIC_BASE_URL === 'http://127.0.0.1:0') {
    env.PUBLIC_BASE_URL = `http://127.0.0.1:${port}`;
  }
  logger.info({ port }, 'server listening');
  // The leased jobs' first calls must not meet a connection still coming up (a cluster learns its
  // slots first); past the wait they start anyway and ride out the outage as they do later.
  if (!(await whenReady(redis, 5_000))) logger.warn('redis not ready 5 s after start; starting anyway');
  drainer.start();
  reads.start();
  reconciler.start();
  if (env.ALERTS_ENABLED) alerts.start();
  auditRetention.start();

  async function close(): Promise<void> {
    const steps: Array<[string, () => Promise<unknown>]> = [
      // First: WebSocket clients are told to reconnect (elsewhere), then closed; the HTTP close
      // waits for every socket, upgraded ones included.
      ['websocket', () => live.close()],
      ['http', () => new Promise<void>((resolve) => server.close(() => resolve()))],
      ['realtime hub', () => hub.stop()],
      ['rate limits', async () => deps.limits.close()],
      ['order progress relay', async () => orderProgress.close()],
      ['outbox drainer', () => drainer.stop()],
      ['reconciler', () => reconciler.stop()],
      ['alert evaluator', () => alerts.stop()],
      ['audit retention', () => auditRetention.stop()],
      ['notifier', () => notifier.close()],
      [
        'queue',
        async () => {
          await queue.close();
          queueRedis.disconnect();
        },
      ],
      ['redis', () => redis.quit()],
      ['mysql replicas', () => reads.close()],
      ['mysql', () => database.close()],
    ];
    server.closeAllConnections();
    // Every step runs even when one fails; failures are logged, not thrown.
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (error) {
        logger.warn({ err: error, step: name }, 'shutdown step failed');
      }
    }
  }

  return { port, url: `http://127.0.0.1:${port}`, deps, alerts, close };
}
