/**
 * Rejects when `promise` has not settled within `ms` (with "<what> timed out after <ms> ms"). The
 * timer is cleared as soon as the promise settles and never keeps the process alive.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what?: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const message = `${what ? `${what} ` : ''}timed out after ${ms} ms`;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
