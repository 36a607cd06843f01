import { downloadJobId, WORKER_HEARTBEAT_TTL_SECONDS } from '@paidflow/contracts';
import { pendingDownloadTaskIds, staleActiveTasks } from '@paidflow/db';
import type { AppDeps } from '../deps.ts';
import { bringLostRun, type Candidate } from './lost-runs.ts';
import { periodic } from './periodic.ts';
import { createRedisLease } from './redis-lease.ts';
import { liveWorkerRuns } from './worker-health.ts';

type ReconcilerDeps = Pick<
  AppDeps,
  'db' | 'queue' | 'logger' | 'redis' | 'env' | 'namespace' | 'kickOutbox' | 'metrics'
>;

export interface ReconcileOptions {
  /** Only tasks unchanged for this long are checked (a task just queued may not be on the queue yet). */
  staleSeconds: number;
  limit?: number;
  /**
   * How long a job must stay missing from the queue, with no live worker listing its run, before
   * its run counts as lost: long enough for every live worker to have written a heartbeat since
   * (after a Redis restart they are all gone until the next beat). Defaults to the heartbeat TTL.
   */
  lostAfterMs?: number;
  /** When each missing job was first seen missing; kept by the reconciler between passes. */
  suspects?: Map<string, number>;
  /** Asked before each task is checked: false ends the pass there (the lease was lost). */
  keepGoing?: () => Promise<boolean>;
}

export interface ReconcileResult {
  checked: number;
  /** Tasks put on the queue again (a lost run's failed attempt recorded first, when it had one). */
  requeued: number[];
  /** Tasks whose lost run was their last attempt: failed for good. */
  failed: number[];
}

/** Job states in which BullMQ still runs the job, or will: its task is not lost. */
const LIVE_JOB_STATES = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);

/**
 * Brings to MySQL every way a job can leave BullMQ without its worker's report (decision 013):
 * for each task that MySQL says is queued or active, it looks for the task's current job. A job
 * that BullMQ still runs or will run is left alone, and so is a run a live worker's heartbeat
 * lists. A job that BullMQ ended (stalled out, failed after its worker died) or no longer has
 * (removed, cleaned, lost with Redis's data) for longer than `lostAfterMs` is a lost run: its
 * failed attempt, if it had one, is recorded once as WORKER_LOST, and the task follows the retry
 * rules, on a new job that fences every run of the old one. Tasks whose job still waits in the
 * outbox are left alone: the drainer will deliver it.
 */
export async function reconcileOnce(
  deps: ReconcilerDeps,
  options: ReconcileOptions,
): Promise<ReconcileResult> {
  const now = Date.now();
  const cutoff = new Date(now - options.staleSeconds * 1000);
  const lostAfterMs = options.lostAfterMs ?? WORKER_HEARTBEAT_TTL_SECONDS * 1000;
  const suspects = options.suspects ?? new Map<string, number>();
  const candidates: Candidate[] = await staleActiveTasks(deps.db, cutoff, options.limit ?? 500);
  const result: ReconcileResult = { checked: candidates.length, requeued: [], failed: [] };
  const seen = new Set<string>();
  let stopped = false;
  if (candidates.length > 0) {
    const waiting = await pendingDownloadTaskIds(deps.db);
    let liveRuns: Map<string, Set<number | null>> | null = null;
    for (const candidate of candidates) {
      if (options.keepGoing && !(await options.keepGoing())) {
        stopped = true;
        break;
      }
      if (waiting.has(candidate.id)) continue;
      const jobId = downloadJobId(candidate.id, candidate.queue_generation);
      seen.add(jobId);
      // Throws while Redis is down: the whole pass stops, and the next one tries again.
      const job = await deps.queue.getJob(jobId);
      const jobState = job ? await job.getState() : 'missing';
      if (LIVE_JOB_STATES.has(jobState)) {
        suspects.delete(jobId);
        continue;
      }
      liveRuns ??= await liveWorkerRuns(deps);
      // A live worker holds the task's current run (or one whose claim is not answered yet).
      const held = liveRuns.get(jobId);
      if (held && (held.has(null) || held.has(candidate.run_token))) continue;
      if (jobState === 'missing' || jobState === 'unknown') {
        const since = suspects.get(jobId) ?? now;
        suspects.set(jobId, since);
        if (now - since < lostAfterMs) continue;
      }
      const reason =
        job?.failedReason ||
        (jobState === 'completed'
          ? `job ${jobId} ended in the queue, but its task is still ${candidate.status}`
          : `job ${jobId} is missing from the queue and no live worker runs it`);
      const outcome = await bringLostRun(deps, candidate, { jobId, jobState, reason, job });
      suspects.delete(jobId);
      if (!outcome) continue;
      deps.metrics.lostRuns.inc({ job_state: jobState });
      (outcome === 'failed' ? result.failed : result.requeued).push(candidate.id);
    }
  }
  // A suspect that is no longer a candidate (it moved on) is forgotten.
  if (!stopped) for (const jobId of suspects.keys()) if (!seen.has(jobId)) suspects.delete(jobId);
  if (result.requeued.length > 0 || result.failed.length > 0) {
    deps.logger.warn(
      { requeued: result.requeued, failed: result.failed },
      'reconciler: brought lost runs to MySQL',
    );
  }
  return result;
}

/** The reconciler's lease in Redis: one server process runs the passes at a time. */
export const RECONCILER_LEASE_KEY = 'reconciler:lease';
/** The lease lasts this many intervals: renewed at every pass, it lapses only when its holder died. */
const LEASE_INTERVALS = 3;

export interface Reconciler {
  start(): void;
  /** Stops the timer, waits for the pass under way and releases the lease. */
  stop(): Promise<void>;
  /** One pass now, if this process holds the lease; null when another holds it or the pass failed. */
  runOnce(): Promise<ReconcileResult | null>;
}

/**
 * Runs reconcileOnce on start and every intervalMs in the one server process that holds the
 * reconciler's Redis lease (taken or renewed at each pass, renewed during a long one, released
 * on stop; a dead holder's lapses after LEASE_INTERVALS intervals and another server takes it).
 * When Redis does not answer the lease call, the process reconciles alone: passes are safe to
 * overlap (each change is one transaction that first checks the task is as it was read, and a
 * requeue fences the old runs), and a pass needs Redis for the queue anyway (decision 057).
 * Failures are logged once per outage.
 */
export function createReconciler(
  deps: ReconcilerDeps,
  options: { intervalMs: number; staleSeconds: number; lostAfterMs?: number },
): Reconciler {
  let failing = false;
  const suspects = new Map<string, number>();
  const ttlMs = options.intervalMs * LEASE_INTERVALS;
  const lease = createRedisLease(deps.redis, { key: deps.namespace.key(RECONCILER_LEASE_KEY), ttlMs });
  let holding = false;
  let renewedAt = 0;

  /** Whether this process runs the pass: it holds the lease, or Redis did not answer (alone). */
  async function mayRun(): Promise<'lease' | 'alone' | null> {
    let mine: boolean;
    try {
      mine = await lease.acquire();
    } catch (error) {
      if (!failing)
        deps.logger.warn({ err: error }, 'reconciler: lease not taken in Redis; reconciling alone');
      holding = false;
      return 'alone';
    }
    if (mine !== holding)
      deps.logger.info(mine ? 'reconciler: reconciling here' : 'reconciler: lease held elsewhere');
    holding = mine;
    renewedAt = Date.now();
    // A holder's view of which jobs went missing when is its own: a new holder starts over.
    if (!mine) suspects.clear();
    return mine ? 'lease' : null;
  }

  /** Renews the lease once a third of it is gone; false when it moved to another process. */
  async function keepGoing(): Promise<boolean> {
    if (!holding || Date.now() - renewedAt < ttlMs / 3) return true;
    if (!(await lease.renew())) {
      holding = false;
      deps.logger.warn('reconciler: lease lost during a pass; stopping it');
      return false;
    }
    renewedAt = Date.now();
    return true;
  }

  async function runOnce(): Promise<ReconcileResult | null> {
    const mode = await mayRun();
    if (!mode) return null;
    try {
      const result = await reconcileOnce(deps, {
        staleSeconds: options.staleSeconds,
        lostAfterMs: options.lostAfterMs,
        suspects,
        keepGoing,
      });
      if (failing) deps.logger.info('reconciler: running again');
      failing = false;
      return result;
    } catch (error) {
      if (!failing) deps.logger.warn({ err: error }, 'reconciler: pass failed; will retry');
      failing = true;
      return null;
    }
  }

  const job = periodic(runOnce, options.intervalMs);
  return {
    start: () => job.start(),
    async stop() {
      await job.stop();
      if (!holding) return;
      holding = false;
      await lease
        .release()
        .catch((error: unknown) =>
          deps.logger.warn({ err: error }, 'reconciler: lease not released; it lapses'),
        );
    },
    runOnce,
  };
}
