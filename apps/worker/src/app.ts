import { DOWNLOAD_QUEUE, redisNamespace } from '@paidflow/contracts';
import type { Logger } from '@paidflow/runtime';
import { createRedis, queueTelemetry, redisTarget, runAll } from '@paidflow/runtime';
import { Queue, Worker } from 'bullmq';
import { createCancellationListener } from './cancellation.ts';
import { createDestination } from './destinations/index.ts';
import type { WorkerEnv } from './env.ts';
import { JobStopped } from './errors.ts';
import { type HealthServer, startHealthServer } from './health.ts';
import { startHeartbeat } from './heartbeat.ts';
import { type ActiveRun, createDownloadProcessor } from './jobs/download.ts';
import { observeJobs } from './jobs/observe.ts';
import { createWorkerMetrics, type WorkerMetrics } from './metrics.ts';
import { createProgressPublisher } from './progress.ts';
import { createServerClient } from './server-client.ts';

export interface RunningWorker {
  worker: Worker;
  metrics: WorkerMetrics;
  health: HealthServer;
  /** Jobs running now. */
  activeJobs(): number;
  /**
   * Takes no new jobs and lets the active ones finish; past WORKER_SHUTDOWN_GRACE_MS their
   * downloads are aborted and the jobs released to the queue (no attempt used, nothing reported
   * as final). Then closes every connection. Every step runs even if one fails.
   */
  close(): Promise<void>;
}

/** Starts one worker process's parts: the BullMQ worker, its Redis connections, health and heartbeat. */
export async function startWorker(env: WorkerEnv, logger: Logger): Promise<RunningWorker> {
  const namespace = redisNamespace(env.REDIS_PREFIX);
  // REDIS_CLUSTER_NODES puts every Redis client into cluster mode (decision 058).
  const target = redisTarget(env);
  const redis = createRedis(target, logger, { connectionName: 'commands' });
  // A producer-style connection for reading queue depth: fails fast when Redis is down.
  const queueRedis = createRedis(target, logger, { connectionName: 'queue-metrics' });
  const queue = new Queue(DOWNLOAD_QUEUE, { connection: queueRedis, prefix: namespace.queuePrefix });
  queue.on('error', (error) => logger.debug({ err: error }, 'queue (metrics) connection error'));
  const active = new Map<string, ActiveRun>();
  const metrics = createWorkerMetrics({ queue, logger, activeJobs: () => active.size });
  const client = createServerClient({
    serverUrl: env.SERVER_URL,
    token: env.WORKER_TOKEN,
    logger,
    deadlineMs: env.SERVER_REPORT_DEADLINE_MS,
    workerId: env.WORKER_ID,
  });
  const progress = createProgressPublisher({ redis, namespace, logger });
  const cancellation = createCancellationListener({ redis: target, namespace, logger });
  const shutdown = new AbortController();
  // Aborted as the stop begins: an attempt that fails from then on is released, not failed.
  const stopping = new AbortController();

  const processor = createDownloadProcessor({
    env,
    logger,
    client,
    progress,
    destination: createDestination(env),
    cancellation,
    metrics,
    active,
    shutdownSignal: shutdown.signal,
    stoppingSignal: stopping.signal,
  });
  // The worker's own connection (BullMQ duplicates it for its blocking reads): it waits for Redis
  // rather than failing a command. BullMQ does not close a connection it was given: we do.
  const workerRedis = createRedis(target, logger, {
    connectionName: 'worker',
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
  });
  const worker = new Worker(DOWNLOAD_QUEUE, observeJobs(metrics, processor), {
    connection: workerRedis,
    prefix: namespace.queuePrefix,
    concurrency: env.WORKER_CONCURRENCY,
    // A SIGKILLed worker's job is moved back to wait within lockDuration + stalledInterval.
    lockDuration: env.WORKER_LOCK_DURATION_MS,
    stalledInterval: env.WORKER_STALLED_INTERVAL_MS,
    maxStalledCount: 2,
    autorun: true,
    // Tracing on: each job's run is a consumer span continuing the trace its producer sent.
    telemetry: queueTelemetry(),
  });
  let workerErrorLogged = false;
  worker.on('error', (error) => {
    // BullMQ reconnects by itself; one line per outage is enough.
    if (!workerErrorLogged) logger.warn({ err: error }, 'queue worker error');
    workerErrorLogged = true;
  });
  worker.on('ready', () => {
    workerErrorLogged = false;
  });
  worker.on('stalled', (jobId) => logger.warn({ jobId }, 'stalled job moved back to the queue'));
  worker.on('failed', (job, error) =>
    logger.info(
      { jobId: job?.id, attemptsMade: job?.attemptsMade, err: error.message },
      'job attempt failed',
    ),
  );

  const health = await startHealthServer({
    port: env.HEALTH_PORT,
    host: env.HEALTH_HOST,
    worker,
    redis,
    metrics,
    logger,
  });
  const heartbeat = startHeartbeat({
    redis,
    namespace,
    logger,
    workerId: env.WORKER_ID,
    concurrency: env.WORKER_CONCURRENCY,
    healthUrl: `${health.url}/healthz`,
    runs: () =>
      [...active.values()].map((run) => ({ taskId: run.taskId, jobId: run.jobId, runToken: run.runToken })),
  });
  logger.info(
    { workerId: env.WORKER_ID, concurrency: env.WORKER_CONCURRENCY, health: health.url },
    'worker started',
  );

  let closing: Promise<void> | null = null;
  async function closeOnce(): Promise<void> {
    stopping.abort();
    logger.info(
      { active: active.size, graceMs: env.WORKER_SHUTDOWN_GRACE_MS },
      'stopping: no new jobs; active ones may finish within the grace, then are released',
    );
    const graceful = worker.close();
    let timer: NodeJS.Timeout | undefined;
    const expired = await Promise.race([
      graceful.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), env.WORKER_SHUTDOWN_GRACE_MS);
      }),
    ]);
    clearTimeout(timer);
    if (expired) {
      logger.warn(
        { active: active.size },
        'active jobs still running after the grace period; releasing them',
      );
      for (const run of active.values()) run.controller.abort(new JobStopped('shutdown'));
      shutdown.abort(new JobStopped('shutdown'));
    }
    await runAll(logger, [
      ['worker', () => graceful],
      ['heartbeat', () => heartbeat.stop()],
      ['health', () => health.close()],
      ['cancellation', () => cancellation.close()],
      ['queue', () => queue.close()],
      ['redis', () => Promise.all([redis.quit(), queueRedis.quit(), workerRedis.quit()])],
    ]);
    logger.info('worker stopped');
  }

  return {
    worker,
    metrics,
    health,
    activeJobs: () => active.size,
    close() {
      closing ??= closeOnce();
      return closing;
    },
  };
}
