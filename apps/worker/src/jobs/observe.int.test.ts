import { randomUUID } from 'node:crypto';
import { JOB_PRIORITIES } from '@paidflow/contracts';
import { createLogger } from '@paidflow/runtime';
import { deleteRedisPrefix } from '@paidflow/server/testing';
import { type Job, Queue, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import { afterEach, expect, test } from 'vitest';
import { testEnv } from '../env.ts';
import { createWorkerMetrics, type RunOutcome, type WorkerMetrics } from '../metrics.ts';
import { observeJobs } from './observe.ts';

// The queue-wait and task-duration histograms, observed around a processor on a real BullMQ
// queue and worker (the download processor itself is covered by the pipeline tests).

const { REDIS_URL } = testEnv();
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Plan = { fail?: 'retryable' | 'unrecoverable'; failTimes?: number; runMs?: number; release?: boolean };

async function setup() {
  const prefix = `test-${randomUUID()}`;
  const name = 'observe';
  const queue = new Queue<Plan>(name, { connection: { url: REDIS_URL }, prefix });
  const metrics = createWorkerMetrics({ queue, logger: createLogger('silent'), activeJobs: () => 0 });
  const ended: string[] = [];
  let worker: Worker | null = null;
  const start = () => {
    worker = new Worker<Plan>(
      name,
      observeJobs(metrics, async (job: Job<Plan>, token?: string) => {
        // As the download processor does on shutdown: back to the queue, no attempt used.
        if (job.data.release && job.attemptsStarted === 1 && token) {
          await job.moveToWait(token);
          throw new WaitingError();
        }
        if (job.data.runMs) await new Promise((resolve) => setTimeout(resolve, job.data.runMs));
        if (job.data.fail && job.attemptsMade < (job.data.failTimes ?? 99)) {
          throw job.data.fail === 'unrecoverable' ? new UnrecoverableError('no') : new Error('again');
        }
        return { outcome: 'completed' as RunOutcome };
      }),
      { connection: { url: REDIS_URL, maxRetriesPerRequest: null }, prefix },
    );
    worker.on('completed', (job) => ended.push(`${job.id}:completed`));
    worker.on('failed', (job) => {
      if (job?.finishedOn) ended.push(`${job.id}:failed`);
    });
  };
  cleanups.push(async () => {
    await worker?.close();
    await queue.close();
    await deleteRedisPrefix(REDIS_URL, prefix);
  });
  const until = async (count: number) => {
    const deadline = Date.now() + 10_000;
    while (ended.length < count) {
      if (Date.now() > deadline) throw new Error(`only ${ended.join(', ')} ended`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return { queue, metrics, start, until };
}

async function histogram(metric: WorkerMetrics['queueWait'] | WorkerMetrics['taskDuration']) {
  const { values } = await metric.get();
  const of = (suffix: string, labels: Record<string, string>) =>
    values.find(
      (v) =>
        v.metricName?.endsWith(suffix) &&
        Object.entries(labels).every(([key, value]) => (v.labels as Record<string, unknown>)[key] === value),
    )?.value ?? 0;
  return {
    count: (labels: Record<string, string>) => of('_count', labels),
    sum: (labels: Record<string, string>) => of('_sum', labels),
  };
}

test('queue wait runs from the enqueue until a worker starts the job, by priority', async () => {
  const { queue, metrics, start, until } = await setup();
  await queue.add('vip', {}, { priority: JOB_PRIORITIES.vip });
  await new Promise((resolve) => setTimeout(resolve, 300));
  start();
  await until(1);
  const wait = await histogram(metrics.queueWait);
  expect(wait.count({ priority: 'vip' })).toBe(1);
  expect(wait.sum({ priority: 'vip' })).toBeGreaterThanOrEqual(0.29);
  expect(wait.count({ priority: 'normal' })).toBe(0);
  const runs = await histogram(metrics.taskDuration);
  expect(runs.count({ outcome: 'completed' })).toBe(1);
});

test("a delayed job's delay is not queue wait", async () => {
  const { queue, metrics, start, until } = await setup();
  start();
  await queue.add('later', {}, { delay: 600, priority: JOB_PRIORITIES.normal });
  await until(1);
  const wait = await histogram(metrics.queueWait);
  expect(wait.count({ priority: 'normal' })).toBe(1);
  expect(wait.sum({ priority: 'normal' })).toBeLessThan(0.5);
});

test('a retried job counts its wait once, and each run by how it ended', async () => {
  const { queue, metrics, start, until } = await setup();
  start();
  await queue.add('flaky', { fail: 'retryable', failTimes: 1, runMs: 50 }, { attempts: 2, backoff: 50 });
  await queue.add('broken', { fail: 'unrecoverable' }, { attempts: 3 });
  await queue.add('hopeless', { fail: 'retryable' }, { attempts: 2, backoff: 10 });
  await until(3);
  const wait = await histogram(metrics.queueWait);
  expect(wait.count({ priority: 'none' })).toBe(3);
  const runs = await histogram(metrics.taskDuration);
  expect(runs.count({ outcome: 'retried' })).toBe(2);
  expect(runs.count({ outcome: 'completed' })).toBe(1);
  expect(runs.count({ outcome: 'failed' })).toBe(2);
  expect(runs.sum({ outcome: 'completed' })).toBeGreaterThanOrEqual(0.04);
});

test('a job released to the queue is a released run, and its second start is no new queue wait', async () => {
  const { queue, metrics, start, until } = await setup();
  start();
  await queue.add('released', { release: true });
  await until(1);
  const wait = await histogram(metrics.queueWait);
  expect(wait.count({ priority: 'none' })).toBe(1);
  const runs = await histogram(metrics.taskDuration);
  expect(runs.count({ outcome: 'released' })).toBe(1);
  expect(runs.count({ outcome: 'completed' })).toBe(1);
});
