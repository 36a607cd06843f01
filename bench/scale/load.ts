// One run of the scale benchmark's load on a topology, in three measured phases:
// 1. webhooks: N signed webhooks through haproxy while the queue is paused (so their cost is
//    theirs alone: the server's handling, its outbox drain into BullMQ);
// 2. tasks: the queue resumed; every task downloads from the course source (bps-limited) and is
//    delivered, while the clients watch their orders to the end;
// 3. fan-out: progress messages published straight to Redis for every order, to price one
//    delivered message on its own.
import { DOWNLOAD_QUEUE, redisNamespace } from '@paidflow/contracts';
import { createLogger, createRedis } from '@paidflow/runtime';
import { Queue } from 'bullmq';
import { completionRecords, foldLiveState, isCompleted } from '../lib/topology/live.ts';
import type { Topology } from '../lib/topology.ts';
import { sleep, waitUntil } from '../lib/wait.ts';
import { type Fleet, openFleet, type Watcher } from './clients.ts';
import { type PhaseCost, phaseCost, startMeter } from './meters.ts';
import { makeOrders, sendWebhooks } from './orders.ts';

export interface LoadOptions {
  orders: number;
  tasksPerOrder: number;
  clients: number;
  files: number;
  fileBytes: number;
  bps: number;
  webhookConcurrency: number;
  fanoutPerOrder: number;
  idleSeconds: number;
  log: (line: string) => void;
}

export interface LoadResult {
  webhooks: { count: number; seconds: number; latenciesMs: number[]; failed: number; cost: PhaseCost };
  tasks: {
    count: number;
    seconds: number;
    /** Claim (first `enrolled`) to the first client seeing `completed`, per task. */
    runMs: number[];
    /** Queue resumed to claim, per task. */
    waitMs: number[];
    cost: PhaseCost;
  };
  deliveries: Record<string, { messages: number; events: number; seconds: number; latenciesMs: number[] }>;
  fanout: { published: number; cost: PhaseCost };
  idle: PhaseCost;
  lost: { tasks: number; orders: number; clients: number; statusMessages: number; sample: string[] };
  /** Clients that reconnected (more than one snapshot). */
  reconnected: number;
  clientErrors: number;
}

async function scalar(topo: Topology, sql: string, params: unknown[] = []): Promise<number> {
  const [rows] = await topo.tdb.pool.query(sql, params);
  return Number(Object.values((rows as Array<Record<string, unknown>>)[0] ?? {})[0] ?? 0);
}

const statusKeys = (w: Watcher) =>
  w.events.flatMap(({ data }) =>
    data.kind === 'task.status'
      ? [`${data.data.taskId}:${data.data.newStatus}`]
      : data.kind === 'order.complete'
        ? ['complete']
        : [],
  );

/**
 * Status messages a client missed: those another client of the same order got. A client that
 * reconnected (a second snapshot) is excused for what its snapshot replaced. With a sample.
 */
function missingStatusMessages(fleet: Fleet): { count: number; sample: string[] } {
  const union = new Map<number, Set<string>>();
  for (const w of fleet.watchers) {
    const keys = union.get(w.orderId) ?? new Set<string>();
    for (const key of statusKeys(w)) keys.add(key);
    union.set(w.orderId, keys);
  }
  let count = 0;
  const sample: string[] = [];
  for (const [index, w] of fleet.watchers.entries()) {
    const own = new Set(statusKeys(w));
    const snapshots = w.events.filter(({ data }) => data.kind === 'snapshot').length;
    for (const key of union.get(w.orderId)!) {
      if (own.has(key) || snapshots > 1) continue;
      count++;
      if (sample.length < 10) sample.push(`client ${index} order ${w.orderId} ${key}`);
    }
  }
  return { count, sample };
}

export async function runLoad(topo: Topology, options: LoadOptions): Promise<LoadResult> {
  const { log } = options;
  const namespace = redisNamespace(topo.prefix);
  const redis = createRedis(topo.redis, createLogger('silent'), {
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
  });
  const queue = new Queue(DOWNLOAD_QUEUE, { connection: redis, prefix: namespace.queuePrefix });
  const meter = await startMeter(topo, topo.tdb.pool);
  let fleet: Fleet | null = null;
  try {
    const cookie = await topo.signIn();
    log('warm-up: 5 orders through the whole pipeline');
    const warm = await makeOrders(topo, options, 5, 'warm');
    await sendWebhooks(topo, warm, 5);
    const warmIds = warm.map((o) => o.orderId);
    await waitUntil(
      async () =>
        (await scalar(topo, "SELECT COUNT(*) FROM orders WHERE id IN (?) AND order_status = 'completed'", [
          warmIds,
        ])) === warm.length,
      120_000,
      'the warm-up orders',
    );
    const orders = await makeOrders(topo, options, options.orders, 'load');
    const orderIds = orders.map((o) => o.orderId);
    log(`opening ${options.clients} WebSocket clients on ${orders.length} orders`);
    fleet = await openFleet({ url: topo.url, cookie, orderIds, count: options.clients });

    // What the deployment costs doing nothing (health checks, heartbeats, pings, leases), so that
    // each phase's cost can be net of it.
    log(`idle: ${options.idleSeconds} s`);
    fleet.phase('idle');
    const i0 = await meter.read();
    await sleep(options.idleSeconds * 1000);
    const idle = phaseCost(i0, await meter.read());

    await queue.pause();
    log(`phase webhooks: ${orders.length} signed webhooks, ${options.webhookConcurrency} senders`);
    fleet.phase('webhooks');
    const r0 = await meter.read();
    const sent = await sendWebhooks(topo, orders, options.webhookConcurrency);
    const sentAt = Date.now();
    await waitUntil(
      async () => (await scalar(topo, 'SELECT COUNT(*) FROM outbox WHERE dispatched_at IS NULL')) === 0,
      120_000,
      'the outbox to drain into the queue',
    );
    const r1 = await meter.read();

    const taskCount = orders.length * options.tasksPerOrder;
    log(`phase tasks: ${taskCount} tasks`);
    fleet.phase('tasks');
    const resumedAt = Date.now();
    await queue.resume();
    const watchersDone = () =>
      fleet!.watchers.every((w) =>
        isCompleted(foldLiveState(w.events), orders.find((o) => o.orderId === w.orderId)!.taskIds),
      );
    const deadline = Date.now() + Math.max(180_000, taskCount * 1000);
    let doneAt = 0;
    while (Date.now() < deadline) {
      const done = await scalar(
        topo,
        "SELECT COUNT(*) FROM download_tasks WHERE order_id IN (?) AND status = 'completed'",
        [orderIds],
      );
      if (done === taskCount && !doneAt) doneAt = Date.now();
      if (doneAt && watchersDone()) break;
      // Past the tasks, the clients get a few seconds to catch up; what they then lack is lost.
      if (doneAt && Date.now() - doneAt > 15_000) break;
      await sleep(100);
    }
    const r2 = await meter.read();

    log(`phase fan-out: ${options.fanoutPerOrder} progress messages per order`);
    fleet.phase('fanout');
    const r3 = await meter.read();
    let published = 0;
    for (let k = 0; k < options.fanoutPerOrder; k++) {
      for (const order of orders) {
        const taskId = order.taskIds[0]!;
        const progress = {
          taskId,
          orderId: order.orderId,
          phase: 'download',
          percent: 50,
          currentFile: 'lesson-01.bin',
          bytesDone: 1,
          bytesTotal: 2,
          speed: 1,
          etaSeconds: 1,
          timestamp: Date.now(),
        };
        await redis.publish(namespace.channel(`task:${taskId}:progress`), JSON.stringify(progress));
        published++;
      }
      await sleep(300);
    }
    const fanout = fleet.deliveries.get('fanout')!;
    // Until no message has arrived for a second (or none came at all in 10 s).
    const publishedAt = Date.now();
    await waitUntil(
      () => (fanout.lastAt > 0 ? Date.now() - fanout.lastAt > 1000 : Date.now() - publishedAt > 10_000),
      60_000,
      'the fan-out to settle',
    );
    const r4 = await meter.read();

    const records = await completionRecords(topo.tdb, orderIds);
    const lostOrders = [...records.values()].filter(
      (r) => r.status !== 'completed' || r.audits !== 1 || r.notifications !== 1,
    ).length;
    const lostTasks =
      taskCount -
      (await scalar(
        topo,
        "SELECT COUNT(*) FROM download_tasks WHERE order_id IN (?) AND status = 'completed'",
        [orderIds],
      ));
    const lostClients = fleet.watchers.filter(
      (w) => !isCompleted(foldLiveState(w.events), orders.find((o) => o.orderId === w.orderId)!.taskIds),
    ).length;

    const missing = missingStatusMessages(fleet);
    const reconnected = fleet.watchers.filter(
      (w) => w.events.filter(({ data }) => data.kind === 'snapshot').length > 1,
    ).length;
    const runMs: number[] = [];
    const waitMs: number[] = [];
    const claimed = new Map<number, number>();
    const completedSeen = new Map<number, number>();
    for (const w of fleet.watchers)
      for (const { data, at } of w.events) {
        if (data.kind !== 'task.status') continue;
        if (data.data.newStatus === 'enrolled') claimed.set(data.data.taskId, data.data.timestamp);
        if (data.data.newStatus === 'completed')
          completedSeen.set(data.data.taskId, Math.min(at, completedSeen.get(data.data.taskId) ?? at));
      }
    for (const [taskId, start] of claimed) {
      waitMs.push(start - resumedAt);
      const end = completedSeen.get(taskId);
      if (end) runMs.push(end - start);
    }
    const deliveries: LoadResult['deliveries'] = {};
    for (const [name, d] of fleet.deliveries)
      deliveries[name] = {
        messages: d.messages,
        events: d.events,
        seconds: (d.lastAt - d.firstAt) / 1000,
        latenciesMs: d.latenciesMs,
      };
    return {
      webhooks: { count: orders.length, seconds: (sentAt - r0.at) / 1000, ...sent, cost: phaseCost(r0, r1) },
      tasks: {
        count: taskCount,
        seconds: ((doneAt || Date.now()) - resumedAt) / 1000,
        runMs,
        waitMs,
        cost: phaseCost(r1, r2),
      },
      deliveries,
      fanout: { published, cost: phaseCost(r3, r4) },
      idle,
      lost: {
        tasks: lostTasks,
        orders: lostOrders,
        clients: lostClients,
        statusMessages: missing.count,
        sample: missing.sample,
      },
      reconnected,
      clientErrors: fleet.watchers.reduce((sum, w) => sum + w.errors, 0),
    };
  } finally {
    await fleet?.close();
    meter.close();
    await queue.close();
    redis.disconnect();
  }
}
