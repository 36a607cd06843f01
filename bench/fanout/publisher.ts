// Forked by fanout.ts: publishes the load on Redis the way any publisher following the channel
// convention does (plain PUBLISH of the contract's JSON), then reports what it sent.
//   progress: `rate` messages per second, round-robin over every task;
//   status:   `statusRate` task status changes per second; complete: `completeRate` per second.
// Each progress message carries its publish time in microseconds since `epochMs` (in bytesDone)
// and its per-task sequence number (in bytesTotal), so clients can measure latency and tell a
// coalesced message from a lost final state.
import { Redis } from 'ioredis';
import { nowUs } from './recorder.ts';

interface PublisherConfig {
  redisUrl: string;
  prefix: string;
  epochMs: number;
  seconds: number;
  rate: number;
  statusRate: number;
  completeRate: number;
  orders: Array<{ orderId: number; taskIds: number[] }>;
}

export interface PublisherReport {
  progressSent: number;
  /** Per task: messages sent and the last sequence number. */
  lastSeq: Record<number, number>;
  statusPerOrder: Record<number, number>;
  completePerOrder: Record<number, number>;
  achievedRate: number;
}

async function run(config: PublisherConfig): Promise<PublisherReport> {
  const redis = new Redis(config.redisUrl);
  const head = config.prefix ? `${config.prefix}:` : '';
  const tasks = config.orders.flatMap((order) =>
    order.taskIds.map((taskId) => ({ taskId, orderId: order.orderId })),
  );
  const seq = new Map<number, number>();
  const statusPerOrder: Record<number, number> = {};
  const completePerOrder: Record<number, number> = {};
  const statuses = ['downloading', 'uploading'] as const;
  let progressSent = 0;
  let statusSent = 0;
  let completeSent = 0;
  let cursor = 0;
  const start = performance.now();
  const end = start + config.seconds * 1000;
  while (performance.now() < end) {
    const elapsed = (performance.now() - start) / 1000;
    const pipeline = redis.pipeline();
    const progressDue = Math.floor(elapsed * config.rate) - progressSent;
    for (let i = 0; i < progressDue; i++) {
      const task = tasks[cursor++ % tasks.length]!;
      const n = (seq.get(task.taskId) ?? 0) + 1;
      seq.set(task.taskId, n);
      const body = JSON.stringify({
        taskId: task.taskId,
        orderId: task.orderId,
        percent: n % 101,
        currentFile: 'lesson.mp4',
        bytesDone: Math.round(nowUs(config.epochMs)),
        bytesTotal: n,
        speed: 1_000_000,
        etaSeconds: 10,
        timestamp: Date.now(),
      });
      pipeline.publish(`${head}task:${task.taskId}:progress`, body);
    }
    progressSent += Math.max(0, progressDue);
    const statusDue = Math.floor(elapsed * config.statusRate) - statusSent;
    for (let i = 0; i < statusDue; i++) {
      const task = tasks[((statusSent + i) * 7919) % tasks.length]!;
      const newStatus = statuses[(statusSent + i) % 2]!;
      statusPerOrder[task.orderId] = (statusPerOrder[task.orderId] ?? 0) + 1;
      pipeline.publish(
        `${head}task:${task.taskId}:status`,
        JSON.stringify({
          taskId: task.taskId,
          orderId: task.orderId,
          previousStatus: null,
          newStatus,
          timestamp: Date.now(),
        }),
      );
    }
    statusSent += Math.max(0, statusDue);
    const completeDue = Math.floor(elapsed * config.completeRate) - completeSent;
    for (let i = 0; i < completeDue; i++) {
      const order = config.orders[((completeSent + i) * 104729) % config.orders.length]!;
      completePerOrder[order.orderId] = (completePerOrder[order.orderId] ?? 0) + 1;
      pipeline.publish(
        `${head}order:${order.orderId}:complete`,
        JSON.stringify({
          orderId: order.orderId,
          totalTasks: order.taskIds.length,
          completedTasks: order.taskIds.length,
          failedTasks: 0,
          timestamp: Date.now(),
        }),
      );
    }
    completeSent += Math.max(0, completeDue);
    if (pipeline.length > 0) await pipeline.exec();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const seconds = (performance.now() - start) / 1000;
  redis.disconnect();
  return {
    progressSent,
    lastSeq: Object.fromEntries(seq),
    statusPerOrder,
    completePerOrder,
    achievedRate: Math.round(progressSent / seconds),
  };
}

process.once('message', (config: PublisherConfig) => {
  run(config).then(
    (report) => process.send?.(report, () => process.exit(0)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
