import { z } from 'zod';
import { EpochMs, Id } from './common.ts';
import { JobId, RunToken } from './jobs.ts';

/** A run a worker holds now, as its heartbeat lists it: the reconciler leaves its task alone. */
export const WorkerRun = z.object({
  taskId: Id,
  jobId: JobId,
  /** Null until the run's claim is answered. */
  runToken: RunToken.nullable(),
});
export type WorkerRun = z.infer<typeof WorkerRun>;

/**
 * Each worker process writes its heartbeat to a Redis key every WORKER_HEARTBEAT_SECONDS, with a
 * TTL of three beats: a worker whose key is gone is down.
 */
export const WorkerHeartbeat = z.object({
  workerId: z.string().min(1).max(128),
  hostname: z.string().max(255),
  pid: z.int().positive(),
  concurrency: z.int().positive(),
  activeJobs: z.int().nonnegative(),
  startedAt: EpochMs,
  lastSeen: EpochMs,
  /** The worker's health endpoint, if it serves one. */
  healthUrl: z.string().nullable(),
  /** The runs it holds (a heartbeat from before this field lists none). */
  runs: z.array(WorkerRun).max(1_000).default([]),
});
export type WorkerHeartbeat = z.infer<typeof WorkerHeartbeat>;

export const WORKER_HEARTBEAT_SECONDS = 5;
export const WORKER_HEARTBEAT_TTL_SECONDS = WORKER_HEARTBEAT_SECONDS * 3;

/** The heartbeat key of one worker (before the namespace's key prefix). */
export function workerHeartbeatKey(workerId: string): string {
  return `workers:heartbeat:${workerId}`;
}
/** The pattern that SCAN uses to find every worker's heartbeat (before the namespace's key prefix). */
export const WORKER_HEARTBEAT_PATTERN = 'workers:heartbeat:*';
