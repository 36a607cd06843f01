import {
  WORKER_HEARTBEAT_PATTERN,
  WORKER_HEARTBEAT_SECONDS,
  type WorkerHealth,
  WorkerHeartbeat,
} from '@paidflow/contracts';
import { mgetAnySlot, scanKeys } from '@paidflow/runtime';
import type { AppDeps } from '../deps.ts';
import { AppError } from '../errors.ts';
import { parseLatest } from '../realtime/latest.ts';

/** More heartbeat keys than this are not read (a runaway fleet should not stall the dashboard). */
const MAX_WORKERS = 1_000;

/** Every heartbeat key's value (found by SCAN, never KEYS), parsed with the contract; garbage counted. */
async function readHeartbeats(
  deps: Pick<AppDeps, 'redis' | 'namespace'>,
): Promise<{ beats: WorkerHeartbeat[]; malformed: number }> {
  const pattern = deps.namespace.key(WORKER_HEARTBEAT_PATTERN);
  const keys = new Set<string>();
  // Every master's keys on a cluster; heartbeats lie in many slots, so the MGET is split by slot.
  for await (const batch of scanKeys(deps.redis, pattern, 200)) {
    for (const key of batch) keys.add(key);
    if (keys.size >= MAX_WORKERS) break;
  }
  const list = [...keys].slice(0, MAX_WORKERS);
  const values = await mgetAnySlot(deps.redis, list);
  let malformed = 0;
  const beats: WorkerHeartbeat[] = [];
  for (const raw of values) {
    const beat = parseLatest(WorkerHeartbeat, raw);
    if (beat) beats.push(beat);
    // A key that expired between SCAN and MGET reads as null: gone, not garbage.
    else if (raw !== null) malformed++;
  }
  return { beats, malformed };
}

/**
 * The workers alive now: every heartbeat, parsed with the contract; garbage is skipped and
 * counted. A worker whose last beat is older than two beats is 'late' (its key has not expired
 * yet). Redis down: UNAVAILABLE.
 */
export async function workerHealth(
  deps: Pick<AppDeps, 'redis' | 'namespace' | 'logger'>,
  now = Date.now(),
): Promise<WorkerHealth> {
  try {
    const { beats, malformed } = await readHeartbeats(deps);
    const workers: WorkerHealth['workers'] = beats.map((beat) => {
      const late = now - beat.lastSeen > 2 * WORKER_HEARTBEAT_SECONDS * 1000;
      return { ...beat, state: late ? 'late' : 'up' };
    });
    if (malformed > 0) deps.logger.warn({ malformed }, 'malformed worker heartbeats skipped');
    workers.sort((a, b) => a.workerId.localeCompare(b.workerId));
    return { workers, malformed, checkedAt: now };
  } catch (error) {
    deps.logger.warn({ err: error }, 'worker health unavailable');
    throw new AppError('UNAVAILABLE', 'worker health needs Redis, which is unavailable', { cause: error });
  }
}

/**
 * Every run that a worker whose heartbeat has not expired says it holds, as job id -> the run
 * tokens held (null: claim not answered yet): the reconciler never takes such a run for lost.
 * Throws while Redis is down.
 */
export async function liveWorkerRuns(
  deps: Pick<AppDeps, 'redis' | 'namespace'>,
): Promise<Map<string, Set<number | null>>> {
  const { beats } = await readHeartbeats(deps);
  const runs = new Map<string, Set<number | null>>();
  for (const run of beats.flatMap((beat) => beat.runs)) {
    const tokens = runs.get(run.jobId) ?? new Set<number | null>();
    tokens.add(run.runToken);
    runs.set(run.jobId, tokens);
  }
  return runs;
}

/** The task slots of the workers alive now (the sum of their concurrency); 0 without any. */
export async function liveConcurrency(deps: Pick<AppDeps, 'redis' | 'namespace'>): Promise<number> {
  const { beats } = await readHeartbeats(deps);
  return beats.reduce((sum, beat) => sum + beat.concurrency, 0);
}
