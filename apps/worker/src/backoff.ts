/** The first retry's base delay when a job asks for the 'custom' backoff. */
export const BASE_BACKOFF_MS = 2_000;

/**
 * Exponential backoff with jitter, for jobs added with `backoff: { type: 'custom' }`: the nth retry
 * waits a random time between half and all of BASE * 2^(n-1), so that the retries of many tasks
 * failing together (a source going down) do not all come back at the same moment. BullMQ's own
 * 'exponential' type takes a `jitter` option to the same effect.
 */
export function backoffStrategy(attemptsMade: number): number {
  const ceiling = BASE_BACKOFF_MS * 2 ** Math.max(0, attemptsMade - 1);
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}
