import { EnvList } from '@paidflow/contracts';
import { z } from 'zod';

/**
 * MySQL read replicas (decision 056), spread into the server's Env. Without
 * DATABASE_REPLICA_URLS every read goes to DATABASE_URL, as before.
 */
export const ReplicaEnv = {
  /**
   * Replicas of DATABASE_URL, comma-separated mysql:// URLs (same database name): the dashboard's
   * read-only queries go to a healthy one. The user needs SELECT and REPLICA MONITOR (SHOW SLAVE STATUS).
   */
  DATABASE_REPLICA_URLS: EnvList.pipe(
    z.array(z.string().regex(/^mysql:\/\//, 'must be a mysql:// URL')),
  ).default([]),
  /** A replica further behind than this (Seconds_Behind_Master) is skipped until it catches up. */
  REPLICA_MAX_LAG_SECONDS: z.coerce.number().int().min(0).max(3_600).default(5),
  /** How often each replica's lag is read. */
  REPLICA_POLL_MS: z.coerce.number().int().min(100).max(60_000).default(1_000),
  /**
   * After an admin's mutation, that session reads from the primary this long (read-your-writes,
   * across servers: a key in Redis). Never less than the lag bound plus two polls plus 1 s.
   */
  REPLICA_PRIMARY_WINDOW_MS: z.coerce.number().int().min(0).max(600_000).optional(),
};

const ReplicaSettingsSchema = z.object(ReplicaEnv);
export type ReplicaSettings = z.infer<typeof ReplicaSettingsSchema>;

/**
 * How long a session reads from the primary after its write: a replica within the bound may be
 * up to REPLICA_MAX_LAG_SECONDS behind, plus the time until the next poll notices more, plus the
 * second Seconds_Behind_Master rounds away; a shorter setting would let a stale read through.
 */
export function primaryWindowMs(settings: ReplicaSettings): number {
  const floor = settings.REPLICA_MAX_LAG_SECONDS * 1_000 + 2 * settings.REPLICA_POLL_MS + 1_000;
  return Math.max(settings.REPLICA_PRIMARY_WINDOW_MS ?? 0, floor);
}
