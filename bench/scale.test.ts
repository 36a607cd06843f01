import { expect, test } from 'vitest';
import type { LoadResult } from './scale/load.ts';
import type { PhaseCost } from './scale/meters.ts';
import { tableRows, topologyFigures } from './scale/report.ts';
import { scaleSettings } from './scale/settings.ts';

test('the scale options: defaults, --quick shrinks only what is not given, bad values are refused', () => {
  expect(scaleSettings([])).toMatchObject({
    orders: 200,
    tasksPerOrder: 3,
    clients: 1000,
    topologies: ['a', 'b'],
  });
  expect(scaleSettings(['--', '--quick', '--clients', '250'])).toMatchObject({
    orders: 30,
    tasksPerOrder: 2,
    clients: 250,
  });
  expect(scaleSettings(['--topologies', 'B'])).toMatchObject({ topologies: ['b'] });
  expect(() => scaleSettings(['--orders', '0'])).toThrow(/--orders/);
  expect(() => scaleSettings(['--topologies', 'a,c'])).toThrow(/--topologies/);
});

function cost(seconds: number, servers: number, extra: Partial<PhaseCost> = {}): PhaseCost {
  return {
    seconds,
    cpuMs: { s1: servers },
    servers,
    workers: 0,
    redisCalls: 0,
    redisCpuMs: 0,
    redisMaxCore: 0,
    mysql: { Questions: 0, Com_commit: 0 },
    utilization: { server: servers / seconds / 1000, worker: 0, redis: 0.1, mysqld: 0.05, bench: 2 },
    machineBusy: 0.15,
    ...extra,
  };
}

const deliveries = (messages: number) => ({
  messages,
  events: messages,
  seconds: 2,
  latenciesMs: [1, 2, 30],
});

test('per-unit costs are net of the idle deployment, and the busiest resource (not the bench) is named', () => {
  const result: LoadResult = {
    // Idle: 10 ms of server CPU a second.
    idle: cost(2, 20, { redisCalls: 20, mysql: { Questions: 4, Com_commit: 0 } }),
    webhooks: { count: 100, seconds: 2, latenciesMs: [10, 20], failed: 0, cost: cost(2, 520) },
    tasks: {
      count: 50,
      seconds: 5,
      runMs: [1000],
      waitMs: [5],
      cost: cost(5, 1050, { workers: 500, redisCalls: 1050, mysql: { Questions: 1010, Com_commit: 100 } }),
    },
    deliveries: {
      webhooks: deliveries(10),
      tasks: deliveries(400),
      fanout: deliveries(1000),
      idle: deliveries(0),
    },
    fanout: { published: 100, cost: cost(1, 110) },
    lost: { tasks: 0, orders: 0, clients: 0, statusMessages: 0, sample: [] },
    reconnected: 0,
    clientErrors: 0,
  };
  const figures = topologyFigures(result);
  expect(figures).toMatchObject({
    webhooks_per_s: 50,
    tasks_per_s: 10,
    deliveries_per_s: 200,
    cpu_us_per_webhook_server: 5000, // (520 - 2 s x 10 ms/s) / 100
    cpu_us_per_task_server: 20_000, // (1050 - 50) / 50
    cpu_us_per_task_worker: 10_000,
    cpu_us_per_delivered_message_server: 100, // (110 - 10) / 1000
    redis_commands_per_task: 20, // (1050 - 5 s x 10/s) / 50
    mysql_statements_per_task: 20, // (1010 - 10) / 50
    mysql_commits_per_task: 2,
    saturated_tasks: { resource: 'server', share: 0.21 },
  });
  expect(
    topologyFigures({
      ...result,
      tasks: { ...result.tasks, cost: { ...result.tasks.cost, machineBusy: 0.97 } },
    }),
  ).toMatchObject({ saturated_tasks: { resource: 'machine', share: 0.97 } });
  const rows = tableRows([figures]);
  expect(rows.find((row) => row[0] === 'webhooks/s')).toEqual(['webhooks/s', 50]);
  expect(rows.every((row) => row.length === 2)).toBe(true);
});
