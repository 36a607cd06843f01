/**
 * The one walker of an error's cause chain (drizzle wraps mysql2's errors, and callers wrap
 * both): true when `test` holds for the error or one of its first `depth` causes.
 */
export function someCause(error: unknown, test: (cause: object) => boolean, depth = 5): boolean {
  let current: unknown = error;
  for (let level = 0; level < depth && current && typeof current === 'object'; level++) {
    if (test(current)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** True when an error (or one of its causes) is MySQL's duplicate-key error. */
export function isDuplicateKeyError(error: unknown): boolean {
  return someCause(error, (cause) => {
    const { code, errno } = cause as { code?: unknown; errno?: unknown };
    return code === 'ER_DUP_ENTRY' || errno === 1062;
  });
}

const RETRYABLE_LOCK_ERRNO = new Set([
  1213, // ER_LOCK_DEADLOCK: MySQL rolled this transaction back to break a lock cycle
  1205, // ER_LOCK_WAIT_TIMEOUT
]);

/** True when MySQL aborted the transaction as a deadlock victim or a lock wait timed out. */
export function isRetryableLockError(error: unknown): boolean {
  return someCause(error, (cause) => {
    const { errno } = cause as { errno?: unknown };
    return typeof errno === 'number' && RETRYABLE_LOCK_ERRNO.has(errno);
  });
}
