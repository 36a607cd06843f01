import { expect, test } from 'vitest';
import {
  WORKER_HEARTBEAT_PATTERN,
  WORKER_HEARTBEAT_SECONDS,
  WORKER_HEARTBEAT_TTL_SECONDS,
  WorkerHeartbeat,
  workerHeartbeatKey,
} from './workers.ts';

const NOW = 1_700_000_000_000;

const heartbeat = {
  workerId: 'worker-host1-4242',
  hostname: 'host1',
  pid: 4242,
  concurrency: 4,
  activeJobs: 2,
  startedAt: NOW - 60_000,
  lastSeen: NOW,
  healthUrl: 'http://127.0.0.1:9100/health',
};

test('WorkerHeartbeat accepts a live worker, with or without a health endpoint', () => {
  // A heartbeat from before the runs list lists none.
  expect(WorkerHeartbeat.parse(heartbeat)).toEqual({ ...heartbeat, runs: [] });
  const runs = [
    { taskId: 7, jobId: 'task-7-1', runToken: 3 },
    { taskId: 8, jobId: 'task-8-2', runToken: null },
  ];
  expect(WorkerHeartbeat.parse({ ...heartbeat, runs })).toEqual({ ...heartbeat, runs });
  expect(WorkerHeartbeat.safeParse({ ...heartbeat, runs: [{ taskId: 7, jobId: '' }] }).success).toBe(false);
  expect(WorkerHeartbeat.safeParse({ ...heartbeat, healthUrl: null, activeJobs: 0 }).success).toBe(true);
});

test('WorkerHeartbeat rejects an empty id, zero concurrency, negative jobs and missing times', () => {
  expect(WorkerHeartbeat.safeParse({ ...heartbeat, workerId: '' }).success).toBe(false);
  expect(WorkerHeartbeat.safeParse({ ...heartbeat, concurrency: 0 }).success).toBe(false);
  expect(WorkerHeartbeat.safeParse({ ...heartbeat, activeJobs: -1 }).success).toBe(false);
  expect(WorkerHeartbeat.safeParse({ ...heartbeat, pid: 0 }).success).toBe(false);
  expect(WorkerHeartbeat.safeParse({ ...heartbeat, lastSeen: '2024-03-15T08:00:00Z' }).success).toBe(false);
  const { startedAt: _, ...withoutStart } = heartbeat;
  expect(WorkerHeartbeat.safeParse(withoutStart).success).toBe(false);
  const { healthUrl: __, ...withoutHealth } = heartbeat;
  expect(WorkerHeartbeat.safeParse(withoutHealth).success).toBe(false);
});

test('a heartbeat lives three beats', () => {
  expect(WORKER_HEARTBEAT_TTL_SECONDS).toBe(WORKER_HEARTBEAT_SECONDS * 3);
});

test("each worker's heartbeat key is found by the SCAN pattern, and only heartbeat keys are", () => {
  const head = WORKER_HEARTBEAT_PATTERN.slice(0, -1);
  expect(WORKER_HEARTBEAT_PATTERN.endsWith('*')).toBe(true);
  expect(workerHeartbeatKey('worker-host1-4242')).toBe(`${head}worker-host1-4242`);
  expect(workerHeartbeatKey('a')).not.toBe(workerHeartbeatKey('b'));
  expect('latest:task:1:progress'.startsWith(head)).toBe(false);
});
