// Forked by browser.ts: every task ticks at `hz`, offsets spread evenly over one interval (a
// steady stream, not bursts), each tick written exactly as a worker writes it (apps/worker's
// progress.ts): the contract's message published and kept as the latest value, and the task's
// percent and rate in the order's hashes, in one MULTI. Runs until told to stop, then reports
// every tick it published (task, sequence, Date.now() at publish) for the page's match.
import {
  encodeChannelMessage,
  entriesAfterTick,
  publishCommands,
  redisNamespace,
  type TaskProgress,
  taskEntryCommands,
} from '@paidflow/contracts';
import { Redis } from 'ioredis';
import { tickFileName, tickOffsetMs, ticksDue } from './ticks.ts';

export interface PublisherConfig {
  redisUrl: string;
  prefix: string;
  hz: number;
  tasks: Array<{ taskId: number; orderId: number }>;
}

/** Every tick as [taskId, seq, publishedAt], flat, to keep the IPC message small. */
export interface PublisherReport {
  ticks: number[];
  achievedRate: number;
}

const BYTES_TOTAL = 2_400_000_000;

function payloadOf(task: { taskId: number; orderId: number }, seq: number, index: number): TaskProgress {
  // A download that moves at ~4-6 MB/s per task, from a different point per task.
  const speed = 4_000_000 + ((index * 7919) % 2_000_000);
  const bytesDone = Math.min(BYTES_TOTAL - 1, ((index * 104_729_000) % BYTES_TOTAL) + seq * (speed / 4));
  const ratio = bytesDone / BYTES_TOTAL;
  return {
    taskId: task.taskId,
    orderId: task.orderId,
    phase: 'download',
    // The download's band (5-90, decision 048), to one decimal.
    percent: Math.floor((5 + ratio * 85) * 10) / 10,
    currentFile: tickFileName(task.taskId, seq),
    bytesDone: Math.round(bytesDone),
    bytesTotal: BYTES_TOTAL,
    speed,
    etaSeconds: Math.round(((BYTES_TOTAL - bytesDone) / speed) * 10) / 10,
    timestamp: Date.now(),
  };
}

async function run(config: PublisherConfig, stopped: () => boolean): Promise<PublisherReport> {
  const redis = new Redis(config.redisUrl);
  const namespace = redisNamespace(config.prefix);
  const intervalMs = 1000 / config.hz;
  const offsets = config.tasks.map((_, index) => tickOffsetMs(index, config.tasks.length, intervalMs));
  const sent = config.tasks.map(() => 0);
  const ticks: number[] = [];
  const start = performance.now();
  while (!stopped()) {
    const elapsed = performance.now() - start;
    // ioredis writes each MULTI at once, without waiting for the one before: one round trip.
    const writes: Array<Promise<unknown>> = [];
    for (let index = 0; index < config.tasks.length; index++) {
      const due = ticksDue(elapsed, offsets[index]!, intervalMs);
      // Behind by more than one tick (a stall): skip to now rather than burst the backlog.
      if (due - sent[index]! > 1) sent[index] = due - 1;
      while (sent[index]! < due) {
        const task = config.tasks[index]!;
        const seq = ++sent[index]!;
        const payload = payloadOf(task, seq, index);
        const [channel, json] = encodeChannelMessage('task', task.taskId, 'progress', payload);
        // As the worker writes a tick (apps/worker/src/progress.ts).
        writes.push(
          redis
            .multi([
              ...publishCommands(channel, json, namespace, task.orderId),
              ...taskEntryCommands(namespace, task.orderId, task.taskId, entriesAfterTick(payload)),
            ])
            .exec(),
        );
        ticks.push(task.taskId, seq, payload.timestamp);
      }
    }
    await Promise.all(writes);
    await new Promise((resolve) => setTimeout(resolve, 4));
  }
  const seconds = (performance.now() - start) / 1000;
  redis.disconnect();
  return { ticks, achievedRate: Math.round(ticks.length / 3 / seconds) };
}

let stop = false;
process.on('message', (message: PublisherConfig | 'stop') => {
  if (message === 'stop') {
    stop = true;
    return;
  }
  run(message, () => stop).then(
    (report) => process.send?.(report, () => process.exit(0)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
process.send?.('ready');
