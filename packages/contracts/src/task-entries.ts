import { LATEST_TTL_SECONDS, type RedisCommand } from './channels.ts';
import { isTerminalTaskStatus, type TASK_STATUSES } from './constants.ts';
import { formatTaskRate, orderTaskPercentsKey, orderTaskRatesKey, type TaskRate } from './order-percent.ts';

// A task's entries in its order's percents and rates hashes (order-percent.ts), and how each of
// the task's messages moves them: the only statement of the rule. The worker and the server write
// them in the MULTI of the message (taskEntryCommands); the server's order progress relay follows
// the messages it hears with the same rule, in memory (apps/server/src/realtime/order-ticks.ts).

/** What a message does to a task's entries: a value sets one, null removes it, absent keeps it. */
export interface TaskEntries {
  percent?: number | null;
  rate?: TaskRate | null;
}

/**
 * A task:{id}:progress tick: its percent, and its rate while it downloads (the order's ETA counts
 * those bytes). A tick without a phase is the download's (TaskProgress).
 */
export function entriesAfterTick(
  tick: TaskRate & { phase?: string | undefined; percent: number },
): TaskEntries {
  if ((tick.phase ?? 'download') !== 'download') return { percent: tick.percent };
  // Rounded as the rates hash keeps it (formatTaskRate), so what follows the messages in memory
  // equals what Redis holds.
  const rate = {
    bytesDone: Math.round(tick.bytesDone),
    bytesTotal: Math.round(tick.bytesTotal),
    speed: Math.round(tick.speed),
  };
  return { percent: tick.percent, rate };
}

/**
 * A task:{id}:status change: an ended task counts whole and has no rate; a task back in the queue
 * starts again from nothing; a running status keeps the workers' ticks.
 */
export function entriesAfterStatus(newStatus: (typeof TASK_STATUSES)[number]): TaskEntries {
  if (isTerminalTaskStatus(newStatus)) return { percent: 100, rate: null };
  if (newStatus === 'queued' || newStatus === 'pending') return { percent: null, rate: null };
  return {};
}

/** The commands that write these entries (for the message's MULTI; the hashes expire with the latest values). */
export function taskEntryCommands(
  namespace: { key(name: string): string },
  orderId: number,
  taskId: number,
  entries: TaskEntries,
): RedisCommand[] {
  const field = String(taskId);
  const commands: RedisCommand[] = [];
  const write = (key: string, value: string | null | undefined) => {
    if (value === undefined) return;
    if (value === null) commands.push(['hdel', key, field]);
    else commands.push(['hset', key, field, value], ['expire', key, LATEST_TTL_SECONDS]);
  };
  write(
    namespace.key(orderTaskPercentsKey(orderId)),
    entries.percent == null ? entries.percent : String(entries.percent),
  );
  write(
    namespace.key(orderTaskRatesKey(orderId)),
    entries.rate == null ? entries.rate : formatTaskRate(entries.rate),
  );
  return commands;
}
