import { formatChannel, latestKey, OrderProgress, TaskProgress, TaskStatusEvent } from '@paidflow/contracts';
import type { z } from 'zod';
import type { AppDeps } from '../deps.ts';

/** What Redis keeps of a task right now: its latest progress and status messages. */
export interface TaskLatest {
  progress: TaskProgress | null;
  status: TaskStatusEvent | null;
}

export interface LatestValues {
  tasks: Map<number, TaskLatest>;
  /** The order's own latest progress (asked with `withOrder`), or null. */
  order: OrderProgress | null;
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
 * Reads, in one MGET, the latest progress and status messages of some tasks of one order and,
 * with `withOrder`, the order's own latest progress (the values publishLive keeps for an hour).
 * Every key carries the order's slot tag, so the MGET stays within one Redis Cluster slot.
 * Garbage in a key reads as none. When Redis is down it logs and answers `available: false`:
 * callers degrade to the database's values.
 */
export async function readLatest(
  deps: Pick<AppDeps, 'redis' | 'namespace' | 'logger'>,
  ids: { orderId: number; taskIds: number[]; withOrder?: boolean },
): Promise<LatestValues> {
  const ns = deps.namespace;
  const { orderId } = ids;
  const keys = [
    ...ids.taskIds.flatMap((id) => [
      ns.key(latestKey(formatChannel('task', id, 'progress'), orderId)),
      ns.key(latestKey(formatChannel('task', id, 'status'), orderId)),
    ]),
    ...(ids.withOrder ? [ns.key(latestKey(formatChannel('order', orderId, 'progress'), orderId))] : []),
  ];
  const result: LatestValues = { tasks: new Map(), order: null, available: true };
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
  if (ids.withOrder) {
    const progress = parseLatest(OrderProgress, values[ids.taskIds.length * 2]);
    result.order = progress?.orderId === orderId ? progress : null;
  }
  return result;
}
