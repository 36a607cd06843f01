import os from 'node:os';
import {
  type RedisNamespace,
  WORKER_HEARTBEAT_SECONDS,
  WORKER_HEARTBEAT_TTL_SECONDS,
  WorkerHeartbeat,
  type WorkerRun,
  workerHeartbeatKey,
} from '@paidflow/contracts';
import type { Logger, RedisClient } from '@paidflow/runtime';

/**
 * Writes this process's WorkerHeartbeat every WORKER_HEARTBEAT_SECONDS with a TTL of three beats,
 * so the server's "worker health" sees it, and sees it gone when the process dies. It lists the
 * runs the process holds, so that the reconciler knows them alive even when Redis lost their jobs.
 */
export function startHeartbeat(options: {
  redis: RedisClient;
  namespace: RedisNamespace;
  logger: Logger;
  workerId: string;
  concurrency: number;
  healthUrl: string | null;
  /** The runs this process holds now: the reconciler never takes them for lost. */
  runs: () => WorkerRun[];
  intervalMs?: number;
}) {
  const key = options.namespace.key(workerHeartbeatKey(options.workerId));
  const startedAt = Date.now();
  let warned = false;

  async function beat(): Promise<void> {
    const runs = options.runs();
    const payload = WorkerHeartbeat.parse({
      workerId: options.workerId,
      hostname: os.hostname().slice(0, 255),
      pid: process.pid,
      concurrency: options.concurrency,
      activeJobs: runs.length,
      runs,
      startedAt,
      lastSeen: Date.now(),
      healthUrl: options.healthUrl,
    });
    try {
      await options.redis.set(key, JSON.stringify(payload), 'EX', WORKER_HEARTBEAT_TTL_SECONDS);
      warned = false;
    } catch (error) {
      if (!warned) options.logger.warn({ err: error }, 'heartbeat not written');
      warned = true;
    }
  }

  // The first beat as soon as Redis is ready (and again after each reconnect), then on the interval.
  const onReady = () => void beat();
  if (options.redis.status === 'ready') void beat();
  options.redis.on('ready', onReady);
  const timer = setInterval(() => void beat(), options.intervalMs ?? WORKER_HEARTBEAT_SECONDS * 1000);
  timer.unref();
  return {
    /** Stops beating and removes the key: a worker that stops cleanly is gone at once. */
    async stop(): Promise<void> {
      clearInterval(timer);
      options.redis.off('ready', onReady);
      await options.redis.del(key);
    },
  };
}
