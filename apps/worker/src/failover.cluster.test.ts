import { redisNamespace } from '@paidflow/contracts';
import {
  keysByMaster,
  masterOfKey,
  type RedisClusterHandle,
  startRedisCluster,
} from '@paidflow/runtime/testing';
import {
  type Collected,
  collect,
  createOrder,
  createTestAdmin,
  type LiveClient,
  liveClient,
} from '@paidflow/server/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  createPaidOrder,
  type Pipeline,
  spawnWorkerProcess,
  startPipeline,
  type WorkerProcess,
  waitFor,
} from './testing/fixtures.ts';
import { auditOf, orderOf, tasksOf } from './testing/pipeline-scenario.ts';

// A master of a 3+3 Redis Cluster dies mid-run: the one serving BullMQ's {bull} slot. Its replica
// takes over; the server (in-process) and two worker processes ride it out, every task ends, and
// a live subscriber ends on the database's state.

let cluster: RedisClusterHandle;
let p: Pipeline;
const workers: WorkerProcess[] = [];
const clients: LiveClient[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
  p = await startPipeline('failover-cluster', {
    REDIS_CLUSTER_NODES: cluster.env,
    // Lost runs (a job whose last writes died with the master) are brought back within seconds.
    RECONCILE_INTERVAL_MS: '1000',
    RECONCILE_STALE_SECONDS: '3',
  });
});
afterAll(async () => {
  for (const client of clients) await client.close();
  for (const worker of workers) await worker.kill();
  await p?.close();
  await cluster?.stop();
});

interface View {
  order: string | null;
  tasks: Record<number, string>;
}

/** What a client that applies the events in order shows: the last snapshot, then the changes since. */
function liveView(sub: Collected): View {
  const view: View = { order: null, tasks: {} };
  for (const { data } of sub.events) {
    if (data.kind === 'snapshot') {
      view.order = data.order?.status ?? null;
      view.tasks = Object.fromEntries(data.tasks.map((task) => [task.taskId, task.status]));
    } else if (data.kind === 'task.status') view.tasks[data.data.taskId] = data.data.newStatus;
    else if (data.kind === 'order.status') view.order = data.data.newStatus;
  }
  return view;
}

async function dbView(orderId: number): Promise<View> {
  const tasks = await tasksOf(p, orderId);
  return {
    order: (await orderOf(p, orderId)).order_status,
    tasks: Object.fromEntries(tasks.map((task) => [task.id, task.status])),
  };
}

function workerTail(worker: WorkerProcess): string {
  return worker.lines.slice(-20).join('\n');
}

test('when the master serving {bull} dies mid-run, no task is lost and the live view ends on the database state', async () => {
  const namespace = redisNamespace(p.t.prefix);
  for (let i = 0; i < 2; i++) {
    workers.push(spawnWorkerProcess(p.workerEnv({ LOG_LEVEL: 'info', WORKER_CONCURRENCY: '3' })));
  }
  await waitFor(
    () => workers.every((w) => w.lines.some((line) => line.includes('"worker started"'))),
    30_000,
    'both worker processes to start',
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${workers.map(workerTail).join('\n---\n')}`);
  });

  // The watched order's keys live on the master that will die (with the queue's): its latest
  // values and its announcements go through the failover. Order ids are spent until the next
  // one's slot tag lies there (ids come from MySQL's auto-increment).
  const queueMaster = await masterOfKey(cluster, `${namespace.queuePrefix}:downloads:id`);
  for (;;) {
    const { orderId } = await createOrder(p.t.tdb.db, { tasks: 0 });
    if ((await masterOfKey(cluster, `{o:${orderId + 1}}`)) === queueMaster) break;
  }
  // Four orders of two courses each, about 4.5 s per task (3 files of 150 kB at 100 kB/s): with
  // six job slots the run spans the failover. The watched order is the first, so it runs then.
  const orders: Array<{ orderId: number; taskIds: number[] }> = [];
  for (let i = 0; i < 4; i++) {
    orders.push(
      await createPaidOrder(
        p,
        ['a', 'b'].map((slug) => ({
          title: `Course ${i}-${slug}`,
          url: p.source.manifestUrl(`failover-${i}-${slug}`, { files: 3, size: 150_000, bps: 100_000 }),
        })),
      ),
    );
  }
  const watched = orders[0]!;
  expect(await masterOfKey(cluster, `{o:${watched.orderId}}`)).toBe(queueMaster);
  const viewer = await createTestAdmin(p.t.server.deps, 'viewer');
  const live = liveClient(p.t.server.url, viewer.cookie, { retryDelayMs: 200 });
  clients.push(live);
  const sub = collect((handlers) =>
    live.client.events.order.subscribe({ orderId: watched.orderId }, handlers),
  );
  await waitFor(() => sub.events.length >= 1, 10_000, 'the live snapshot');

  // Mid-run: the watched order's downloads nearly done (the download band ends at 90 %), so that
  // its tasks' next status changes, and their announcements, fall while the master is dead.
  const watchedTasks = new Set(watched.taskIds);
  await waitFor(
    () =>
      p.heard.some(
        (m) =>
          m.channel.endsWith(':progress') &&
          watchedTasks.has(Number(m.payload.taskId)) &&
          Number(m.payload.percent) >= 80,
      ),
    30_000,
    'the watched order to be nearly downloaded',
  );
  const running = new Set(p.heard.filter((m) => /^task:\d+:progress$/.test(m.channel)).map((m) => m.channel));
  expect(running.size).toBeGreaterThanOrEqual(3);
  const holders = [...(await keysByMaster(cluster, `${namespace.queuePrefix}:*`))].filter(
    ([, keys]) => keys.length > 0,
  );
  expect(holders.map(([port]) => port)).toEqual([queueMaster]);
  const killedAt = Date.now();
  await cluster.kill(queueMaster);
  await cluster.waitForFailover(queueMaster);
  const failoverMs = Date.now() - killedAt;
  expect(await cluster.masters()).not.toContain(queueMaster);

  // Every order ends; every task completed, or failed with its reason recorded.
  const allTaskIds = orders.flatMap((order) => order.taskIds);
  await waitFor(
    async () => {
      for (const order of orders) {
        const row = await orderOf(p, order.orderId);
        if (row.order_status === 'processing' || row.order_status === 'pending') return false;
      }
      return true;
    },
    90_000,
    'every order to end',
  ).catch(async (error: unknown) => {
    const states = await Promise.all(orders.map(async (o) => (await dbView(o.orderId)).tasks));
    throw new Error(
      `${String(error)}: ${JSON.stringify(states)}\n${workers.map(workerTail).join('\n---\n')}`,
    );
  });
  const endedAt = Date.now();
  const tasks = (await Promise.all(orders.map((order) => tasksOf(p, order.orderId)))).flat();
  expect(tasks.map((task) => task.id).sort()).toEqual([...allTaskIds].sort());
  for (const task of tasks) {
    expect(['completed', 'failed']).toContain(task.status);
    if (task.status === 'failed') expect(task.error_log?.last?.type).toBeTruthy();
  }
  // Each task ended once in the audit trail, each order once.
  for (const order of orders) {
    const events = await auditOf(p, order.orderId);
    expect(events.filter((e) => e.event_type === 'order_completed')).toHaveLength(1);
    for (const taskId of order.taskIds) {
      const ends = events.filter(
        (e) => e.task_id === taskId && (e.event_type === 'task_completed' || e.event_type === 'task_failed'),
      );
      expect(ends).toHaveLength(1);
    }
  }

  // The live subscriber converges on the database's final state (resync after missed messages).
  const final = await dbView(watched.orderId);
  await waitFor(() => JSON.stringify(liveView(sub)) === JSON.stringify(final), 15_000, 'the live view').catch(
    (error: unknown) => {
      throw new Error(`${String(error)}: live ${JSON.stringify(liveView(sub))}, db ${JSON.stringify(final)}`);
    },
  );
  expect(liveView(sub)).toEqual(final);

  // Nobody crashed: both worker processes run, their logs hold no fatal line, the server is healthy.
  for (const worker of workers) {
    expect(worker.child.exitCode).toBeNull();
    expect(worker.child.signalCode).toBeNull();
    const crashes = worker.lines.filter((line) => /"level":60|unhandled rejection|uncaught/i.test(line));
    expect(crashes, workerTail(worker)).toEqual([]);
  }
  expect((await fetch(`${p.t.server.url}/healthz`)).status).toBe(200);
  const completed = tasks.filter((task) => task.status === 'completed').length;
  console.info(
    JSON.stringify({ failoverMs, killToAllEndedMs: endedAt - killedAt, tasks: tasks.length, completed }),
  );
});
