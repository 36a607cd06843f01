import {
  encodeChannelMessage,
  formatChannel,
  latestKey,
  OrderProgress,
  publishCommands,
  type RedisNamespace,
  type TaskProgress,
} from '@paidflow/contracts';
import type { Logger } from '@paidflow/runtime';
import type { Redis } from 'ioredis';

/** At most one task:{id}:progress message per task per this many ms. */
export const TASK_PROGRESS_INTERVAL_MS = 250;
/** At most one order:{id}:progress message per order per process per this many ms. */
export const ORDER_PROGRESS_INTERVAL_MS = 1_000;
/** The window of the moving average behind `speed`. */
const SPEED_WINDOW_MS = 5_000;
const TASK_PERCENTS_TTL_SECONDS = 3_600;

/** The hash of an order's task percents (task id -> latest percent) the order aggregate is computed from. */
export function orderTaskPercentsKey(orderId: number): string {
  return `progress:order:${orderId}:tasks`;
}

export interface ProgressPublisherOptions {
  redis: Redis;
  namespace: RedisNamespace;
  logger: Logger;
  taskIntervalMs?: number;
  orderIntervalMs?: number;
}

export interface TaskProgressTracker {
  /** Records bytes done; publishes when the task's interval has passed since its last message. */
  update(bytesDone: number, currentFile: string | null): void;
  /** Publishes the final 100% (waiting out the interval if needed) and flushes every message. */
  finish(currentFile: string | null): Promise<void>;
  /** Waits for what was published so far, without a final message (an aborted download). */
  close(): Promise<void>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Publishes live progress: task:{id}:progress (throttled per task, always ending at 100) and the
 * order aggregate on order:{id}:progress (at most once a second). Each message is validated by
 * the contract, kept as the channel's latest value and published in one MULTI. A Redis failure is
 * logged and never fails the job: progress is ephemeral, MySQL holds the durable state.
 */
export function createProgressPublisher(options: ProgressPublisherOptions) {
  const { redis, namespace, logger } = options;
  const taskInterval = options.taskIntervalMs ?? TASK_PROGRESS_INTERVAL_MS;
  const orderInterval = options.orderIntervalMs ?? ORDER_PROGRESS_INTERVAL_MS;
  /** Per order: when its aggregate last went out, and the trailing publish waiting for its turn. */
  const orders = new Map<number, { last: number; timer: NodeJS.Timeout | null }>();
  let warned = false;

  function logFailure(error: unknown, channel: string): void {
    // One warning per outage, not one per message.
    if (warned) return;
    warned = true;
    logger.warn({ err: error, channel }, 'progress not published (Redis unavailable?)');
  }

  async function sendTask(payload: TaskProgress): Promise<void> {
    const [channel, json] = encodeChannelMessage('task', payload.taskId, 'progress', payload);
    const percentsKey = namespace.key(orderTaskPercentsKey(payload.orderId));
    try {
      await redis
        .multi([
          ...publishCommands(channel, json, namespace),
          ['hset', percentsKey, String(payload.taskId), String(payload.percent)],
          ['expire', percentsKey, TASK_PERCENTS_TTL_SECONDS],
        ])
        .exec();
      warned = false;
    } catch (error) {
      logFailure(error, channel);
    }
  }

  /**
   * The order's percent: the mean of its tasks' latest percents, never below the share of tasks
   * the server counts as ended. The task count and the counters come from the server's own latest
   * order:{id}:progress message; without one (no server message yet) nothing is published.
   */
  async function sendOrder(orderId: number, timestamp: number): Promise<void> {
    const channel = formatChannel('order', orderId, 'progress');
    try {
      const replies = await redis
        .multi()
        .get(namespace.key(latestKey(channel)))
        .hgetall(namespace.key(orderTaskPercentsKey(orderId)))
        .exec();
      const latestRaw = replies?.[0]?.[1];
      const percents = (replies?.[1]?.[1] ?? {}) as Record<string, string>;
      if (typeof latestRaw !== 'string') return;
      const latest = OrderProgress.safeParse(JSON.parse(latestRaw));
      if (!latest.success || latest.data.totalTasks === 0) return;
      const { totalTasks, completedTasks, failedTasks } = latest.data;
      const sum = Object.values(percents).reduce((total, value) => total + (Number(value) || 0), 0);
      const floor = ((completedTasks + failedTasks) / totalTasks) * 100;
      const percent = Math.min(100, Math.round(Math.max(sum / totalTasks, floor) * 10) / 10);
      const [name, json] = encodeChannelMessage('order', orderId, 'progress', {
        orderId,
        percent,
        completedTasks,
        failedTasks,
        totalTasks,
        timestamp,
      });
      await redis.multi(publishCommands(name, json, namespace)).exec();
    } catch (error) {
      logFailure(error, channel);
    }
  }

  /**
   * Publishes the order's aggregate now if its last one is a second old, or else once that second
   * has passed (one trailing publish), so that the latest aggregate reflects the latest task news.
   */
  function requestOrder(orderId: number): void {
    const now = Date.now();
    const state = orders.get(orderId) ?? { last: 0, timer: null };
    orders.set(orderId, state);
    if (state.timer) return;
    const wait = state.last + orderInterval - now;
    if (wait <= 0) {
      state.last = now;
      void sendOrder(orderId, now);
      return;
    }
    state.timer = setTimeout(() => {
      state.timer = null;
      requestOrder(orderId);
    }, wait + 1);
    state.timer.unref();
    // Forget orders not heard of for a while, so that a long-running process does not grow.
    if (orders.size > 1_000) {
      for (const [id, entry] of orders) if (!entry.timer && now - entry.last > 60_000) orders.delete(id);
    }
  }

  function track(task: { taskId: number; orderId: number; bytesTotal: number }): TaskProgressTracker {
    const samples: Array<[time: number, bytes: number]> = [];
    let lastSent = 0;
    let chain: Promise<void> = Promise.resolve();

    function snapshot(bytesDone: number, currentFile: string | null, final: boolean): TaskProgress {
      const now = Date.now();
      samples.push([now, bytesDone]);
      while (samples.length > 2 && now - samples[0]![0] > SPEED_WINDOW_MS) samples.shift();
      const [firstTime, firstBytes] = samples[0]!;
      const elapsed = (now - firstTime) / 1000;
      const speed = elapsed > 0 ? Math.max(0, (bytesDone - firstBytes) / elapsed) : 0;
      const remaining = Math.max(0, task.bytesTotal - bytesDone);
      const ratio = task.bytesTotal > 0 ? bytesDone / task.bytesTotal : 0;
      return {
        taskId: task.taskId,
        orderId: task.orderId,
        // 100 means done: only the final message says it.
        percent: final ? 100 : Math.min(99.9, Math.floor(ratio * 1000) / 10),
        currentFile: currentFile?.slice(0, 512) ?? null,
        bytesDone: Math.min(bytesDone, task.bytesTotal),
        bytesTotal: task.bytesTotal,
        speed: Math.round(speed),
        etaSeconds: final ? 0 : speed > 0 ? Math.round((remaining / speed) * 10) / 10 : null,
        timestamp: now,
      };
    }

    function enqueue(payload: TaskProgress): void {
      lastSent = Date.now();
      chain = chain.then(async () => {
        await sendTask(payload);
        requestOrder(payload.orderId);
      });
    }

    return {
      update(bytesDone, currentFile) {
        if (Date.now() - lastSent < taskInterval) return;
        enqueue(snapshot(bytesDone, currentFile, false));
      },
      async finish(currentFile) {
        // A timer may fire a millisecond early: wait until the interval has really passed.
        while (lastSent > 0 && Date.now() - lastSent < taskInterval) {
          await sleep(taskInterval - (Date.now() - lastSent));
        }
        enqueue(snapshot(task.bytesTotal, currentFile, true));
        await chain;
      },
      async close() {
        await chain;
      },
    };
  }

  return {
    track,
    /** Drops the trailing order publishes still waiting (shutdown). */
    close(): void {
      for (const state of orders.values()) if (state.timer) clearTimeout(state.timer);
      orders.clear();
    },
  };
}

export type ProgressPublisher = ReturnType<typeof createProgressPublisher>;
