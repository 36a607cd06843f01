import {
  type DbOrTx,
  type DownloadTaskRow,
  lockTaskAndOrder,
  type OrderRow,
  taskOrderId,
  withTransaction,
} from '@paidflow/db';
import type { AppDeps } from '../deps.ts';
import { AppError } from '../errors.ts';
import { type Announcements, announce, noAnnouncements } from './order-completion.ts';

export type TaskChangeDeps = Pick<AppDeps, 'db' | 'redis' | 'logger' | 'env' | 'namespace' | 'kickOutbox'>;

export interface LockedTask {
  task: DownloadTaskRow;
  order: OrderRow;
}

/**
 * The skeleton of every change to one task: a transaction (run again when MySQL picks it as a
 * deadlock victim), the order-then-task lock, and the announcements published after commit.
 * `work` records what to announce in `news`; a task that does not exist is NOT_FOUND, unless
 * `onMissing` gives the answer for it. `beforeAnnounce` runs after commit, before the announcements.
 */
export async function changeTask<T>(
  deps: TaskChangeDeps,
  taskId: number,
  work: (tx: DbOrTx, locked: LockedTask, news: Announcements) => Promise<T>,
  onMissing?: () => T,
  options: { beforeAnnounce?: (result: T) => Promise<void> } = {},
): Promise<T> {
  const news = noAnnouncements();
  // Before the transaction: inside it, this read would wait for a second pool connection.
  const orderId = await taskOrderId(deps.db, taskId);
  const result = await withTransaction(deps.db, async (tx) => {
    // A deadlock victim runs again: forget what its first run meant to announce.
    Object.assign(news, noAnnouncements());
    const locked = await lockTaskAndOrder(tx, taskId, orderId);
    if (!locked) {
      if (onMissing) return onMissing();
      throw new AppError('NOT_FOUND', `task ${taskId} does not exist`);
    }
    return work(tx, locked, news);
  });
  await options.beforeAnnounce?.(result);
  await announce(deps, news);
  return result;
}
