import type {
  LiveSnapshot,
  LiveUpdate,
  OrderStatus,
  OrderSummary,
  PaymentStatus,
  TaskProgress,
} from '@paidflow/contracts';
import { isRunningTaskStatus, isTerminalTaskStatus } from '@paidflow/contracts/constants';
import { inProgressFromPercent } from '../lib/segments.ts';

/**
 * What the live events have said about one order. Each part keeps its event time (to drop late
 * events) and when this browser received it (`seenAt`, to know which parts a refetch covers).
 */
export interface OrderLive {
  status: { value: OrderStatus; payment: PaymentStatus; at: number; seenAt: number } | null;
  counts: {
    completed: number;
    failed: number;
    total: number;
    percent: number;
    /** Seconds until the order is delivered (the server's estimate); null while unknown. */
    etaSeconds: number | null;
    at: number;
    seenAt: number;
  } | null;
  /** The task that sent the latest progress: the list's "current file". */
  activeTask:
    | (Pick<TaskProgress, 'taskId' | 'currentFile' | 'percent'> & { at: number; seenAt: number })
    | null;
}

export type OrderEvent = LiveUpdate;

export type OrderLiveWrite =
  | { event: OrderEvent; seenAt: number }
  | { snapshot: LiveSnapshot & { order: NonNullable<LiveSnapshot['order']> }; seenAt: number };

const EMPTY: OrderLive = { status: null, counts: null, activeTask: null };

/** The order an event is about. */
export function orderIdOf(event: OrderEvent): number {
  return event.data.orderId;
}

/** The counts part, from task counters as a snapshot's order stats and the events' data name them. */
function countsOf(
  tasks: { completedTasks: number; failedTasks: number; totalTasks: number; etaSeconds?: number | null },
  percent: number,
  at: number,
  seenAt: number,
): NonNullable<OrderLive['counts']> {
  return {
    completed: tasks.completedTasks,
    failed: tasks.failedTasks,
    total: tasks.totalTasks,
    percent,
    etaSeconds: tasks.etaSeconds ?? null,
    at,
    seenAt,
  };
}

function fromSnapshot(write: Extract<OrderLiveWrite, { snapshot: unknown }>): OrderLive {
  const { order, tasks, at } = write.snapshot;
  const { seenAt } = write;
  const progress = order.progress;
  const running = tasks
    .filter((task) => isRunningTaskStatus(task.status) && task.progress)
    .sort((a, b) => (b.progress?.timestamp ?? 0) - (a.progress?.timestamp ?? 0))[0];
  return {
    status: { value: order.status, payment: order.paymentStatus, at, seenAt },
    counts: countsOf(
      { ...order.stats, etaSeconds: progress?.etaSeconds ?? null },
      progress?.percent ?? order.stats.progressPercentage,
      progress?.timestamp ?? at,
      seenAt,
    ),
    activeTask: running?.progress
      ? {
          taskId: running.taskId,
          currentFile: running.currentFile,
          percent: running.percent,
          at: running.progress.timestamp,
          seenAt,
        }
      : null,
  };
}

/** Folds one event (or a snapshot) into an order's live state; late events never undo newer ones. */
export function reduceOrderLive(current: OrderLive | undefined, write: OrderLiveWrite): OrderLive {
  if ('snapshot' in write) return fromSnapshot(write);
  const state = current ?? EMPTY;
  const { event, seenAt } = write;
  switch (event.kind) {
    case 'order.status': {
      if (state.status && event.data.timestamp < state.status.at) return state;
      return {
        ...state,
        status: {
          value: event.data.newStatus,
          payment: event.data.paymentStatus,
          at: event.data.timestamp,
          seenAt,
        },
      };
    }
    case 'order.progress': {
      // One writer, one formula (the server's orderPercent): the newest message is the truth.
      const { percent, timestamp } = event.data;
      if (state.counts && state.counts.at > timestamp) return state;
      return { ...state, counts: countsOf(event.data, percent, timestamp, seenAt) };
    }
    case 'order.complete': {
      const { timestamp } = event.data;
      if (state.counts && state.counts.at > timestamp) return state;
      return {
        ...state,
        counts: countsOf({ ...event.data, etaSeconds: null }, 100, timestamp, seenAt),
        activeTask: null,
      };
    }
    case 'task.progress': {
      const tick = event.data;
      if (state.activeTask && state.activeTask.at > tick.timestamp) return state;
      const { taskId, currentFile, percent, timestamp } = tick;
      return { ...state, activeTask: { taskId, currentFile, percent, at: timestamp, seenAt } };
    }
    case 'task.status': {
      const ended = isTerminalTaskStatus(event.data.newStatus);
      if (!ended || state.activeTask?.taskId !== event.data.taskId) return state;
      return { ...state, activeTask: null };
    }
  }
}

/**
 * Forgets the parts received before `before`: a list refetched after that moment already holds
 * them. Returns null when nothing is left.
 */
export function pruneOrderLive(live: OrderLive, before: number): OrderLive | null {
  const status = live.status && live.status.seenAt >= before ? live.status : null;
  const counts = live.counts && live.counts.seenAt >= before ? live.counts : null;
  const activeTask = live.activeTask && live.activeTask.seenAt >= before ? live.activeTask : null;
  if (!status && !counts && !activeTask) return null;
  if (status === live.status && counts === live.counts && activeTask === live.activeTask) return live;
  return { status, counts, activeTask };
}

/** A row of the paid orders table: the query's row with the newer live facts on top. */
export interface OrderRowView {
  id: number;
  code: string;
  email: string;
  status: OrderStatus;
  priority: OrderSummary['priority'];
  total: number;
  completed: number;
  failed: number;
  /** Task units done by running tasks (the in-progress segment). */
  inProgress: number;
  currentFile: string | null;
  /** A processing order's estimated seconds to delivery; null while unknown or ended. */
  etaSeconds: number | null;
}

export function mergeOrderRow(order: OrderSummary, live: OrderLive | undefined): OrderRowView {
  const counts = live?.counts;
  const total = counts?.total ?? order.stats.totalTasks;
  const completed = counts?.completed ?? order.stats.completedTasks;
  const failed = counts?.failed ?? order.stats.failedTasks;
  const status = live?.status?.value ?? order.order_status;
  const inProgress = counts
    ? inProgressFromPercent({ percent: counts.percent, total, completed, failed })
    : 0;
  return {
    id: order.id,
    code: order.order_code,
    email: order.user_email,
    status,
    priority: order.priority,
    total,
    completed,
    failed,
    inProgress,
    currentFile: status === 'processing' ? (live?.activeTask?.currentFile ?? null) : null,
    etaSeconds: status === 'processing' ? (counts?.etaSeconds ?? null) : null,
  };
}
