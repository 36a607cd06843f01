import type { OrderDetailWithLive } from '@paidflow/contracts';
import { getOrderDetail } from '@paidflow/db';
import type { AppDeps } from '../deps.ts';
import { AppError } from '../errors.ts';
import { readLatest } from './latest.ts';

/**
 * One order with its tasks, each with its latest progress and status messages from Redis (one
 * MGET). Without Redis it degrades: the database's values, and liveAvailable false.
 */
export async function orderDetailWithLive(
  deps: Pick<AppDeps, 'db' | 'redis' | 'namespace' | 'logger'>,
  orderId: number,
): Promise<OrderDetailWithLive> {
  const detail = await getOrderDetail(deps.db, orderId);
  if (!detail) throw new AppError('NOT_FOUND', `order ${orderId} does not exist`);
  const latest = await readLatest(deps, { orderId, taskIds: detail.tasks.map((task) => task.id) });
  return {
    ...detail,
    tasks: detail.tasks.map((task) => ({
      ...task,
      liveProgress: latest.tasks.get(task.id)?.progress ?? null,
      liveStatus: latest.tasks.get(task.id)?.status ?? null,
    })),
    liveAvailable: latest.available,
  };
}
