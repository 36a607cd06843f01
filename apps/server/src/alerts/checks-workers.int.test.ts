import { WorkerHeartbeat, workerHeartbeatKey } from '@paidflow/contracts';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestServer, type TestServer } from '../testing/pipeline-fixtures.ts';
import { checkWorkers, KNOWN_WORKERS_KEY } from './checks-workers.ts';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer('checkworkers', { ALERTS_ENABLED: 'false', ALERT_WORKER_DOWN_SECONDS: '1' });
});

afterAll(async () => {
  await t.close();
});

function heartbeat(workerId: string): string {
  const now = Date.now();
  return JSON.stringify(
    WorkerHeartbeat.parse({
      workerId,
      hostname: 'lost-host',
      pid: 4242,
      concurrency: 1,
      activeJobs: 0,
      runs: [],
      startedAt: now - 60_000,
      lastSeen: now,
      healthUrl: null,
    }),
  );
}

test('a heartbeat that expires between the read of its value and its PTTL is a crash, not a clean stop', async () => {
  const { deps, env } = { deps: t.server.deps, env: t.server.deps.env };
  const workerId = 'expires-mid-check';
  const key = deps.namespace.key(workerHeartbeatKey(workerId));
  await deps.redis.set(key, heartbeat(workerId), 'PX', 300);
  // The real client, whose PTTL is sent only once the key has expired: a check that was slow
  // (a loaded host) between its MGET and its PTTL.
  const slowTtl = new Proxy(deps.redis, {
    get(target, property, receiver) {
      if (property !== 'pttl') return Reflect.get(target, property, receiver);
      return async (name: string) => {
        while ((await target.exists(name)) === 1) await new Promise((resolve) => setTimeout(resolve, 20));
        return target.pttl(name);
      };
    },
  });
  const first = await checkWorkers({ ...deps, redis: slowTtl }, env, { now: Date.now(), open: [] });
  expect(first.firing).toEqual([]);
  expect(await deps.redis.hexists(deps.namespace.key(KNOWN_WORKERS_KEY), workerId)).toBe(1);

  // The next check finds the key gone: it expired, so the worker is down (its last beat a full
  // TTL ago), and it is not forgotten as one that stopped cleanly.
  const second = await checkWorkers(deps, env, { now: Date.now(), open: [] });
  expect(second.firing).toEqual([
    expect.objectContaining({ kind: 'worker_down', subject: workerId, severity: 'critical' }),
  ]);
  expect(await deps.redis.hexists(deps.namespace.key(KNOWN_WORKERS_KEY), workerId)).toBe(1);
});
