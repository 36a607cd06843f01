import {
  encodeChannelMessage,
  entriesAfterTick,
  PHASE_BANDS,
  publishCommands,
  type RedisNamespace,
  TASK_PHASES,
  type TaskProgress,
  taskEntryCommands,
} from '@paidflow/contracts';

type TaskPhase = (typeof TASK_PHASES)[number];

import type { Logger, RedisClient } from '@paidflow/runtime';

/** At most one task:{id}:progress message per task per this many ms. */
export const TASK_PROGRESS_INTERVAL_MS = 250;
/** The window of the moving average behind `speed`. */
const SPEED_WINDOW_MS = 5_000;

export interface ProgressPublisherOptions {
  redis: RedisClient;
  namespace: RedisNamespace;
  logger: Logger;
  taskIntervalMs?: number;
}

export interface TaskProgressTracker {
  /** Records the phase's bytes done; publishes when the task's interval has passed since its last message. */
  update(bytesDone: number, currentFile: string | null): void;
  /**
   * Publishes the end of the phase (waiting out the interval if needed) and flushes every message:
   * 100% only at the end of the last phase, the upload (delivered).
   */
  finish(currentFile: string | null): Promise<void>;
  /** Waits for what was published so far, without a final message (an aborted download). */
  close(): Promise<void>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Publishes live task progress: task:{id}:progress, throttled per task and always ending at 100.
 * Each message is validated by the contract, kept as the channel's latest value and written to
 * the order's task percents and rates hashes (entriesAfterTick), in one MULTI; the server derives order:{id}:progress from that
 * hash (the worker never publishes it). A Redis failure is logged and never fails the job:
 * progress is ephemeral, MySQL holds the durable state.
 */
export function createProgressPublisher(options: ProgressPublisherOptions) {
  const { redis, namespace, logger } = options;
  const taskInterval = options.taskIntervalMs ?? TASK_PROGRESS_INTERVAL_MS;
  /** When each running task's last message went out, across its phases' trackers. */
  const lastSentOf = new Map<number, number>();
  let warned = false;

  function logFailure(error: unknown, channel: string): void {
    // One warning per outage, not one per message.
    if (warned) return;
    warned = true;
    logger.warn({ err: error, channel }, 'progress not published (Redis unavailable?)');
  }

  async function sendTask(payload: TaskProgress): Promise<void> {
    const [channel, json] = encodeChannelMessage('task', payload.taskId, 'progress', payload);
    try {
      await redis
        .multi([
          ...publishCommands(channel, json, namespace, payload.orderId),
          ...taskEntryCommands(namespace, payload.orderId, payload.taskId, entriesAfterTick(payload)),
        ])
        .exec();
      warned = false;
    } catch (error) {
      logFailure(error, channel);
    }
  }

  /**
   * Follows one phase of a task (decision 048): its bytes map onto the phase's band of the task's
   * percent (PHASE_BANDS), and the throttle spans the task's phases.
   */
  function track(task: {
    taskId: number;
    orderId: number;
    bytesTotal: number;
    phase: TaskPhase;
  }): TaskProgressTracker {
    const samples: Array<[time: number, bytes: number]> = [];
    const band = PHASE_BANDS[task.phase];
    const last = task.phase === TASK_PHASES.at(-1);
    const lastSent = () => lastSentOf.get(task.taskId) ?? 0;
    let chain: Promise<void> = Promise.resolve();

    function snapshot(bytesDone: number, currentFile: string | null, final: boolean): TaskProgress {
      const now = Date.now();
      samples.push([now, bytesDone]);
      while (samples.length > 2 && now - samples[0]![0] > SPEED_WINDOW_MS) samples.shift();
      const [firstTime, firstBytes] = samples[0]!;
      const elapsed = (now - firstTime) / 1000;
      const speed = elapsed > 0 ? Math.max(0, (bytesDone - firstBytes) / elapsed) : 0;
      const remaining = Math.max(0, task.bytesTotal - bytesDone);
      const ratio = task.bytesTotal > 0 ? Math.min(1, bytesDone / task.bytesTotal) : 0;
      const inBand = band.start + ratio * (band.end - band.start);
      return {
        taskId: task.taskId,
        orderId: task.orderId,
        phase: task.phase,
        // 100 means delivered: only the last phase's final message says it.
        percent: final ? (last ? 100 : band.end) : Math.min(99.9, Math.floor(inBand * 10) / 10),
        currentFile: currentFile?.slice(0, 512) ?? null,
        bytesDone: Math.min(bytesDone, task.bytesTotal),
        bytesTotal: task.bytesTotal,
        speed: Math.round(speed),
        etaSeconds: final ? 0 : speed > 0 ? Math.round((remaining / speed) * 10) / 10 : null,
        timestamp: now,
      };
    }

    function enqueue(payload: TaskProgress): void {
      lastSentOf.set(task.taskId, Date.now());
      chain = chain.then(() => sendTask(payload));
    }

    return {
      update(bytesDone, currentFile) {
        if (Date.now() - lastSent() < taskInterval) return;
        enqueue(snapshot(bytesDone, currentFile, false));
      },
      async finish(currentFile) {
        // A timer may fire a millisecond early: wait until the interval has really passed.
        while (lastSent() > 0 && Date.now() - lastSent() < taskInterval) {
          await sleep(taskInterval - (Date.now() - lastSent()));
        }
        enqueue(snapshot(task.bytesTotal, currentFile, true));
        await chain;
        if (last) lastSentOf.delete(task.taskId);
      },
      async close() {
        await chain;
        lastSentOf.delete(task.taskId);
      },
    };
  }

  return { track };
}

export type ProgressPublisher = ReturnType<typeof createProgressPublisher>;
