import { ERROR_TYPES, PIPELINE_STEPS } from '@paidflow/contracts';
import type { Logger } from '@paidflow/runtime';
import { withTimeout } from '@paidflow/runtime';
import type { Queue } from 'bullmq';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'] as const;

/** How a run of the whole pipeline ended: the job's result, or what BullMQ does with its failure. */
export const RUN_OUTCOMES = [
  'completed',
  'skipped',
  'cancelled',
  'superseded',
  'retried',
  'failed',
  'released',
] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

/** The queue-wait label: the order's priority as its job carries it (decision 046). */
export const WAIT_PRIORITIES = ['vip', 'normal', 'none'] as const;

/** The worker's Prometheus registry; one per running worker (a test may run several in one process). */
export function createWorkerMetrics(options: {
  queue: Queue;
  logger: Logger;
  /** The jobs running now, read when scraped (the same count the heartbeat reports). */
  activeJobs: () => number;
}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'paidflow_worker_' });
  const jobsFailed = new Counter({
    name: 'paidflow_worker_jobs_failed_total',
    help: 'Failed job attempts, by error type',
    labelNames: ['error_type'] as const,
    registers: [registry],
  });
  const stepDuration = new Histogram({
    name: 'paidflow_worker_step_duration_seconds',
    help: 'Duration of each pipeline step (successful or not)',
    labelNames: ['step'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  const queueWait = new Histogram({
    name: 'paidflow_worker_queue_wait_seconds',
    help: 'Time a job waited on the queue, from its enqueue (or the end of its delay) until a worker started it; first attempts only',
    labelNames: ['priority'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [registry],
  });
  const taskDuration = new Histogram({
    name: 'paidflow_worker_task_duration_seconds',
    help: 'Duration of one run of a task, its whole pipeline from start to end, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200],
    registers: [registry],
  });
  // Every label exists from the start, so a dashboard sees zeros instead of gaps.
  for (const type of ERROR_TYPES) jobsFailed.inc({ error_type: type }, 0);
  for (const step of PIPELINE_STEPS) stepDuration.zero({ step });
  for (const priority of WAIT_PRIORITIES) queueWait.zero({ priority });
  for (const outcome of RUN_OUTCOMES) taskDuration.zero({ outcome });
  return {
    registry,
    jobsStarted: new Counter({
      name: 'paidflow_worker_jobs_started_total',
      help: 'Job attempts started',
      registers: [registry],
    }),
    jobsCompleted: new Counter({
      name: 'paidflow_worker_jobs_completed_total',
      help: 'Jobs whose task was completed',
      registers: [registry],
    }),
    jobsFailed,
    runsSuperseded: new Counter({
      name: 'paidflow_worker_runs_superseded_total',
      help: 'Runs stopped because the server had fenced them: a newer run owns their task',
      registers: [registry],
    }),
    stepDuration,
    queueWait,
    taskDuration,
    activeJobs: new Gauge({
      name: 'paidflow_worker_active_jobs',
      help: 'Jobs this process is running now',
      registers: [registry],
      collect() {
        this.set(options.activeJobs());
      },
    }),
    queueDepth: new Gauge({
      name: 'paidflow_worker_queue_depth',
      help: 'Jobs on the downloads queue, by state (read when scraped)',
      labelNames: ['state'] as const,
      registers: [registry],
      async collect() {
        try {
          // BullMQ waits for its connection: bounded, so that a scrape answers while Redis is down.
          const counts = await withTimeout(options.queue.getJobCounts(...QUEUE_STATES), 1_000);
          for (const state of QUEUE_STATES) this.set({ state }, counts[state] ?? 0);
        } catch (error) {
          // Redis down: the scrape still answers, with the last known depth.
          options.logger.debug({ err: error }, 'queue depth not read');
        }
      },
    }),
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
