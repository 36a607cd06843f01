import { WORKER_HEARTBEAT_TTL_SECONDS, workerHeartbeatKey } from '@paidflow/contracts';
import { alertOpenKey, queuedTaskBacklog } from '@paidflow/db';
import { z } from 'zod';
import type { AppDeps } from '../deps.ts';
import { parseLatest } from '../realtime/latest.ts';
import { workerHealth } from '../services/worker-health.ts';
import type { AlertSettings } from './env.ts';
import type { CheckOutcome, Finding, TrackedAlert } from './types.ts';

type WorkerDeps = Pick<AppDeps, 'redis' | 'namespace' | 'logger' | 'db'>;

/** The Redis hash of the workers the evaluator has seen alive: how it knows one went missing. */
export const KNOWN_WORKERS_KEY = 'alerts:workers';

/** A worker as last seen: times on the server's clock, from its heartbeat key's TTL. */
const Known = z.object({
  hostname: z.string(),
  pid: z.number(),
  startedAt: z.number(),
  /** No later than its last beat (the key's expiry minus the TTL a beat sets). */
  lastBeatAt: z.number(),
  /** When its key would expire without another beat. */
  expiresAt: z.number(),
});
type Known = z.infer<typeof Known>;

/**
 * When a heartbeat key read at `now` expires, from its PTTL. -2: it expired between the read of
 * its value and the PTTL, so it has expired by now (taking the full TTL would make the crash
 * look like a clean stop on the next check). -1 (no TTL, not written by a worker): one TTL.
 */
export function heartbeatExpiry(now: number, pttl: number): number {
  if (pttl === -2) return now;
  return now + (pttl > 0 ? pttl : WORKER_HEARTBEAT_TTL_SECONDS * 1000);
}

/**
 * worker_down and no_workers. A worker seen alive is remembered (KNOWN_WORKERS_KEY). When its
 * heartbeat key is gone before it could have expired, the worker deleted it: a clean stop, which
 * is forgotten without an alert. When the key expired (a crash, a kill, a lost host) and the last
 * beat is ALERT_WORKER_DOWN_SECONDS old, worker_down fires, until the worker beats again or a
 * worker on the same host that started after it (its replacement) does.
 */
export async function checkWorkers(
  deps: WorkerDeps,
  settings: AlertSettings,
  options: { now: number; open: TrackedAlert[] },
): Promise<CheckOutcome> {
  const { now } = options;
  const { workers } = await workerHealth(deps, now);
  const live = new Map(workers.map((worker) => [worker.workerId, worker]));
  const knownKey = deps.namespace.key(KNOWN_WORKERS_KEY);
  // One PTTL each (heartbeats lie in many Redis Cluster slots), sent together. null: not read.
  const ttls = await Promise.all(
    workers.map((w) =>
      deps.redis.pttl(deps.namespace.key(workerHeartbeatKey(w.workerId))).catch((): null => null),
    ),
  );
  const updates: Record<string, string> = {};
  workers.forEach((worker, index) => {
    const pttl = ttls[index] ?? null;
    // Unread: what is remembered stays, rather than a guess that could pass a crash for a clean stop.
    if (pttl === null) return;
    const expiresAt = heartbeatExpiry(now, pttl);
    const known: Known = {
      hostname: worker.hostname,
      pid: worker.pid,
      startedAt: worker.startedAt,
      lastBeatAt: expiresAt - WORKER_HEARTBEAT_TTL_SECONDS * 1000,
      expiresAt,
    };
    updates[worker.workerId] = JSON.stringify(known);
  });
  const remembered = await deps.redis.hgetall(knownKey);
  const replacedBy = (hostname: unknown, lastBeatAt: unknown) =>
    workers.find((w) => w.hostname === hostname && w.startedAt > Number(lastBeatAt ?? Infinity));
  const firing: Finding[] = [];
  const forget: string[] = [];
  for (const [workerId, raw] of Object.entries(remembered)) {
    if (live.has(workerId)) continue;
    const known = parseLatest(Known, raw);
    if (!known) {
      forget.push(workerId);
      continue;
    }
    if (now < known.expiresAt) {
      deps.logger.info({ workerId }, 'alerts: worker stopped cleanly (its heartbeat was removed)');
      forget.push(workerId);
      continue;
    }
    const replacement = replacedBy(known.hostname, known.lastBeatAt);
    if (replacement) {
      deps.logger.info({ workerId, replacement: replacement.workerId }, 'alerts: lost worker replaced');
      forget.push(workerId);
      continue;
    }
    const missingMs = now - known.lastBeatAt;
    if (settings.ALERT_WORKER_DOWN_SECONDS === 0 || missingMs < settings.ALERT_WORKER_DOWN_SECONDS * 1000) {
      continue;
    }
    firing.push({
      kind: 'worker_down',
      subject: workerId,
      severity: 'critical',
      message: `Worker ${workerId} on ${known.hostname} is down: no heartbeat for ${Math.round(missingMs / 1000)} s`,
      details: {
        hostname: known.hostname,
        pid: known.pid,
        lastBeatAt: new Date(known.lastBeatAt).toISOString(),
        lastBeatMs: known.lastBeatAt,
        liveWorkers: workers.length,
      },
    });
  }
  // An open worker_down whose worker is not remembered any more (Redis lost the hash) stays open
  // until the worker or its replacement is back.
  const keep = options.open
    .filter((alert) => alert.kind === 'worker_down' && !live.has(alert.subject))
    .filter((alert) => !(alert.subject in remembered))
    .filter((alert) => !replacedBy(alert.details.hostname, alert.details.lastBeatMs))
    .map((alert) => alertOpenKey(alert.kind, alert.subject));
  const multi = deps.redis.multi();
  if (Object.keys(updates).length > 0) multi.hset(knownKey, updates);
  if (forget.length > 0) multi.hdel(knownKey, ...forget);
  await multi.exec();
  if (workers.length === 0) firing.push(...(await noWorkers(deps, settings, now)));
  return { kinds: ['worker_down', 'no_workers'], firing, keep };
}

async function noWorkers(deps: WorkerDeps, settings: AlertSettings, now: number): Promise<Finding[]> {
  const queued = await queuedTaskBacklog(deps.db);
  if (queued.count === 0 || !queued.oldestAt) return [];
  const waitedMs = now - queued.oldestAt.getTime();
  if (waitedMs < settings.ALERT_NO_WORKERS_SECONDS * 1000) return [];
  return [
    {
      kind: 'no_workers',
      subject: 'downloads',
      severity: 'critical',
      message: `No worker is running while ${queued.count} task(s) wait (the oldest for ${Math.round(waitedMs / 1000)} s)`,
      details: { queuedTasks: queued.count, oldestQueuedAt: queued.oldestAt.toISOString() },
    },
  ];
}
