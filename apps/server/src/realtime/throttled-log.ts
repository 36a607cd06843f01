import type { Logger } from '@paidflow/runtime';

/** Logs each kind of malformed message at most once per interval, with a count of the rest. */
export function createThrottledLog<Reason extends string>(logger: Logger, intervalMs = 10_000) {
  const last = new Map<Reason, { at: number; suppressed: number }>();
  return (reason: Reason, fields: Record<string, unknown>) => {
    const now = Date.now();
    const entry = last.get(reason);
    if (entry && now - entry.at < intervalMs) {
      entry.suppressed++;
      return;
    }
    logger.warn(
      { reason, suppressedSinceLastLog: entry?.suppressed ?? 0, ...fields },
      'malformed live message dropped',
    );
    last.set(reason, { at: now, suppressed: 0 });
  };
}
