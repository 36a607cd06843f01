import type { Db, DbOrTx } from '@paidflow/db';

const RETRYABLE_ERRNO = new Set([
  1213, // ER_LOCK_DEADLOCK: MySQL rolled this transaction back to break a lock cycle
  1205, // ER_LOCK_WAIT_TIMEOUT
]);

function isRetryableLockError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const { errno } = current as { errno?: unknown };
    if (typeof errno === 'number' && RETRYABLE_ERRNO.has(errno)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Runs `work` in a MySQL transaction, and again (up to `attempts` times in all) when MySQL
 * aborts it as a deadlock victim: the pipeline's writers lock order then task rows, but an
 * operator's action may take them the other way round, and the loser simply runs again.
 */
export async function withTransaction<T>(db: Db, work: (tx: DbOrTx) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work);
    } catch (error) {
      if (attempt >= attempts || !isRetryableLockError(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 * attempt + Math.random() * 20));
    }
  }
}
