import {
  formatChannel,
  latestKey,
  OrderProgress,
  redisNamespace,
  TaskProgress,
  TaskStatusEvent,
} from '@paidflow/contracts';
import type { z } from 'zod';
import type { AppDeps } from '../deps.ts';

/** What Redis keeps of a task right now: its latest progress and status messages. */
export interface TaskLatest {
  progress: TaskProgress | null;
  status: TaskStatusEvent | null;
}

export interface LatestValues {
  tasks: Map<number, TaskLatest>;
  orders: Map<number, OrderProgress | null>;
  /** False when Redis could not be read (the maps are then empty). */
  available: boolean;
}

/** One stored JSON value read with its schema: null when absent, not JSON, or not valid. */
export function parseLatest<T>(schema: z.ZodType<T>, raw: string | null | undefined): T | null {
  if (!raw) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * Reads, in one MGET, the latest progress and status messages of some tasks and the latest
 * progress of some orders (the values publishLive keeps for an hour). Garbage in a key reads as
 * none. When Redis is down it logs and answers `available: false`: callers degrade to the
 * database's values.
 */
export async function readLatest(
  deps: Pick<AppDeps, 'redis' | 'env' | 'logger'>,
  ids: { taskIds: number[]; orderIds?: number[] },
): Promise<LatestValues> {
  const ns = redisNamespace(deps.env.REDIS_PREFIX);
  const orderIds = ids.orderIds ?? [];
  const keys = [
    ...ids.taskIds.flatMap((id) => [
      ns.key(latestKey(formatChannel('task', id, 'progress'))),
      ns.key(latestKey(formatChannel('task', id, 'status'))),
    ]),
    ...orderIds.map((id) => ns.key(latestKey(formatChannel('order', id, 'progress')))),
  ];
  const result: LatestValues = { tasks: new Map(), orders: new Map(), available: true };
  if (keys.length === 0) return result;
  let values: Array<string | null>;
  try {
    values = await deps.redis.mget(keys);
  } catch (error) {
    deps.logger.warn({ err: error }, 'latest live values unavailable; answering from MySQL only');
    return { ...result, available: false };
  }
  // A value whose own id is not its key's is someone else's garbage: read as none.
  ids.taskIds.forEach((id, index) => {
    const progress = parseLatest(TaskProgress, values[index * 2]);
    const status = parseLatest(TaskStatusEvent, values[index * 2 + 1]);
    result.tasks.set(id, {
      progress: progress?.taskId === id ? progress : null,
      status: status?.taskId === id ? status : null,
    });
  });
  orderIds.forEach((id, index) => {
    const progress = parseLatest(OrderProgress, values[ids.taskIds.length * 2 + index]);
    result.orders.set(id, progress?.orderId === id ? progress : null);
  });
  return result;
}
