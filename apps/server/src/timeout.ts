/**
 * Rejects when `promise` has not settled within `ms` (with "<what> timed out after <ms> ms");
 * the timer is cleared as soon as it settles, so nothing is left pending.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what?: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const message = `${what ? `${what} ` : ''}timed out after ${ms} ms`;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
