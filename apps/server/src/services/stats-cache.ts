import type { DashboardStats } from '@paidflow/contracts';
import { type DbOrTx, dashboardStats } from '@paidflow/db';

/** How long a computed set of dashboard counts is served before it is counted again. */
export const STATS_TTL_MS = 2_000;

const cache = new WeakMap<object, { at: number; value: Promise<DashboardStats> }>();

/**
 * The dashboard counts, computed at most once per STATS_TTL_MS per database however many admins
 * watch the overview: at a million orders one count is an index pass of ~200 ms. Concurrent
 * callers share the pending query; a failed query is not kept.
 */
export function cachedDashboardStats(db: DbOrTx, now = Date.now()): Promise<DashboardStats> {
  const hit = cache.get(db);
  if (hit && now - hit.at < STATS_TTL_MS) return hit.value;
  const value = dashboardStats(db);
  cache.set(db, { at: now, value });
  value.catch(() => {
    if (cache.get(db)?.value === value) cache.delete(db);
  });
  return value;
}
