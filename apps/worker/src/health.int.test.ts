import { randomUUID } from 'node:crypto';
import { createLogger } from '@paidflow/runtime';
import { deleteRedisPrefix } from '@paidflow/server/testing';
import { afterEach, expect, test } from 'vitest';
import { type RunningWorker, startWorker } from './app.ts';
import { testEnv } from './env.ts';

let worker: RunningWorker | null = null;
const prefixes: Array<{ url: string; prefix: string }> = [];
afterEach(async () => {
  await worker?.close();
  worker = null;
  // The queue's metadata and stalled-check keys a worker writes: leave nothing behind.
  for (const { url, prefix } of prefixes.splice(0)) await deleteRedisPrefix(url, prefix);
});

function env(overrides: Record<string, string> = {}) {
  const prefix = `test-${randomUUID()}`;
  const result = testEnv({
    REDIS_PREFIX: prefix,
    HEALTH_HOST: '127.0.0.1',
    // No server is needed to start: the worker only calls it when a job arrives.
    SERVER_URL: 'http://127.0.0.1:1',
    ...overrides,
  });
  // With Redis unreachable nothing was written; otherwise the keys are in this Redis.
  if (!overrides.REDIS_URL) prefixes.push({ url: result.REDIS_URL, prefix });
  return result;
}

test('a running worker is healthy and serves Prometheus metrics', async () => {
  worker = await startWorker(env(), createLogger('silent'));
  await worker.worker.waitUntilReady();
  const health = await fetch(`${worker.health.url}/healthz`);
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ ok: true, reasons: [] });
  const metrics = await (await fetch(`${worker.health.url}/metrics`)).text();
  for (const name of [
    'paidflow_worker_jobs_started_total 0',
    'paidflow_worker_jobs_completed_total 0',
    'paidflow_worker_jobs_failed_total{error_type="NETWORK"} 0',
    'paidflow_worker_step_duration_seconds_count{step="download"} 0',
    'paidflow_worker_active_jobs 0',
    'paidflow_worker_queue_depth{state="waiting"} 0',
  ]) {
    expect(metrics).toContain(name);
  }
  expect((await fetch(`${worker.health.url}/nope`)).status).toBe(404);
});

test('with Redis unreachable the worker starts, says why it is unhealthy, and still stops cleanly', async () => {
  worker = await startWorker(env({ REDIS_URL: 'redis://127.0.0.1:1' }), createLogger('silent'));
  const health = await fetch(`${worker.health.url}/healthz`);
  expect(health.status).toBe(503);
  const body = (await health.json()) as { ok: boolean; reasons: string[] };
  expect(body.ok).toBe(false);
  expect(body.reasons.join(' ')).toMatch(/redis does not answer/);
  // Metrics still answer (the queue depth is simply not refreshed).
  expect((await fetch(`${worker.health.url}/metrics`)).status).toBe(200);
  await worker.close();
  worker = null;
});

test('a stopped worker reports itself unhealthy before its endpoint goes away', async () => {
  worker = await startWorker(env(), createLogger('silent'));
  await worker.worker.waitUntilReady();
  const closing = worker.worker.close();
  const health = await fetch(`${worker.health.url}/healthz`);
  expect(health.status).toBe(503);
  expect(((await health.json()) as { reasons: string[] }).reasons).toContain(
    'the queue worker is not running',
  );
  await closing;
});
