/**
 * The one retry delay of Paidflow's own retries (worker reports, the outbox's queue and
 * notification retries): exponential from `baseMs`, capped at `capMs`, with "equal jitter", a
 * random time between half and all of it, so that many callers failing together do not all
 * come back at the same moment. `attempt` counts from 1. (BullMQ jobs use BullMQ's own
 * exponential backoff with its `jitter` option: see the contracts' DOWNLOAD_JOB_OPTIONS.)
 */
export function jitteredBackoffMs(attempt: number, baseMs: number, capMs = Number.POSITIVE_INFINITY): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}
