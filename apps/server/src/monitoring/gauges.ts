import type { Backlog } from '@paidflow/db';
import { Gauge, type Registry } from 'prom-client';
import type { AppDeps } from '../deps.ts';
import { type OpsSnapshot, QUEUE_STATES, readOpsSnapshot, type SnapshotDeps } from './snapshot.ts';

/** Scrapes within this long of a read share it (several Prometheus servers, a burst of scrapes). */
export const SNAPSHOT_CACHE_MS = 2_000;

/** A gauge's value for one of its fixed series; undefined when its source could not be read. */
type Value = (snapshot: OpsSnapshot, labels: Record<string, string>, now: number) => number | undefined;

interface Spec {
  name: string;
  help: string;
  /** The gauge's series, fixed: every scrape has each of them (NaN when unread). */
  series?: Array<Record<string, string>>;
  value: Value;
}

function ageSeconds(backlog: Backlog, now: number): number {
  return backlog.oldestAt ? Math.max(0, (now - backlog.oldestAt.getTime()) / 1000) : 0;
}

/** One read per SNAPSHOT_CACHE_MS, shared; a part that starts or stops failing is logged once. */
function cachedSnapshot(deps: SnapshotDeps): () => Promise<OpsSnapshot> {
  let last: { at: number; read: Promise<OpsSnapshot> } | null = null;
  let failing = new Set<string>();
  async function read(): Promise<OpsSnapshot> {
    const { errors, ...snapshot } = await readOpsSnapshot(deps);
    const now = new Set(errors.map((error) => error.part));
    for (const { part, error } of errors) {
      if (!failing.has(part))
        deps.logger.warn({ err: error, part }, 'metrics: a part of the scrape not read');
    }
    for (const part of failing) if (!now.has(part)) deps.logger.info({ part }, 'metrics: part read again');
    failing = now;
    return snapshot;
  }
  return () => {
    if (!last || Date.now() - last.at >= SNAPSHOT_CACHE_MS) last = { at: Date.now(), read: read() };
    return last.read;
  };
}

/** A backlog's two gauges: how many wait, and how long the oldest has. */
function backlog(
  count: { name: string; help: string },
  age: { name: string; help: string },
  pick: (snapshot: OpsSnapshot, labels: Record<string, string>) => Backlog | undefined,
  series?: Spec['series'],
): Spec[] {
  return [
    { ...count, series, value: (s, labels) => pick(s, labels)?.count },
    {
      ...age,
      series,
      value(s, labels, now) {
        const read = pick(s, labels);
        return read && ageSeconds(read, now);
      },
    },
  ];
}

const GAUGES: Spec[] = [
  {
    name: 'paidflow_dependency_up',
    help: 'Whether the server reaches the dependency (1) or not within the probe timeout (0)',
    series: [{ dependency: 'mysql' }, { dependency: 'redis' }],
    value: (s, labels) => Number(labels.dependency === 'mysql' ? s.mysqlUp : s.redisUp),
  },
  {
    name: 'paidflow_redis_memory_used_bytes',
    help: 'Memory Redis uses (INFO used_memory)',
    value: (s) => s.redisMemory?.usedBytes,
  },
  {
    name: 'paidflow_redis_memory_max_bytes',
    help: 'Redis maxmemory (INFO maxmemory; 0 when no limit is set)',
    value: (s) => s.redisMemory?.maxBytes,
  },
  {
    name: 'paidflow_queue_jobs',
    help: 'Jobs on the downloads queue, by BullMQ state (dead letters are the failed ones)',
    series: QUEUE_STATES.map((state) => ({ state })),
    value: (s, labels) => s.queue?.[labels.state as (typeof QUEUE_STATES)[number]],
  },
  {
    name: 'paidflow_workers',
    help: 'Workers with a live heartbeat, by state (late: no beat for two intervals)',
    series: [{ state: 'up' }, { state: 'late' }],
    value: (s, labels) => s.workers?.[labels.state === 'late' ? 'late' : 'up'],
  },
  ...backlog(
    { name: 'paidflow_tasks_queued', help: 'Tasks waiting for a worker (MySQL status queued)' },
    {
      name: 'paidflow_tasks_queued_oldest_seconds',
      help: 'How long the oldest queued task has waited since its last change (0 when none waits)',
    },
    (s) => s.queuedTasks,
  ),
  ...backlog(
    { name: 'paidflow_outbox_pending', help: 'Outbox rows not yet dispatched' },
    {
      name: 'paidflow_outbox_oldest_pending_seconds',
      help: 'Age of the oldest undispatched outbox row (0 when none is pending)',
    },
    (s) => s.outbox,
  ),
  ...backlog(
    {
      name: 'paidflow_payments_awaiting',
      help: 'Transfers waiting for an operator in the payments inbox, by status',
    },
    {
      name: 'paidflow_payments_awaiting_oldest_seconds',
      help: 'How long the oldest transfer waiting in the payments inbox has waited, by status (0: none)',
    },
    (s, labels) => s.payments?.[labels.status === 'underpaid' ? 'underpaid' : 'unmatched'],
    [{ status: 'unmatched' }, { status: 'underpaid' }],
  ),
];

/**
 * The gauges read when /metrics is scraped: dependency reachability, Redis memory, the queue,
 * the workers' heartbeats and the MySQL backlogs (indexed counts only). A value whose source cannot
 * be read within the probe timeout is NaN (no rule fires on it); the scrape itself always answers.
 */
export function registerOpsGauges(deps: SnapshotDeps & Pick<AppDeps, 'metrics'>): void {
  const registry: Registry = deps.metrics.registry;
  const snapshot = cachedSnapshot(deps);
  for (const spec of GAUGES) {
    const series = spec.series ?? [{}];
    new Gauge({
      name: spec.name,
      help: spec.help,
      labelNames: Object.keys(series[0] ?? {}),
      registers: [registry],
      async collect() {
        const read = await snapshot();
        const now = Date.now();
        for (const labels of series) this.set(labels, spec.value(read, labels, now) ?? Number.NaN);
      },
    });
  }
}
