import { randomUUID } from 'node:crypto';
import { slotGroups, withTimeout } from '@paidflow/runtime';
import { LIMIT_REDIS_TIMEOUT_MS, type LimiterDeps, type RateDecision, throttled } from './limiter.ts';

/** A socket's lease outlives its last renewal by this: a crashed process's sockets free their slots. */
export const SOCKET_LEASE_MS = 60_000;
/** What a refused client is told to wait: sockets end when their tabs close, not on a clock. */
const FULL_RETRY_AFTER_SECONDS = 10;

// Drops expired leases, refuses past the limit, else adds this socket's lease; atomic.
const ACQUIRE = `
redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[1])
if redis.call('zcard', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('zadd', KEYS[1], ARGV[2], ARGV[3])
redis.call('pexpire', KEYS[1], ARGV[5])
return 1`;

export interface SocketLease {
  /** Frees the slot (the socket closed). Never throws. */
  release(): void;
}

export interface SocketLeases {
  /**
   * Takes one of `session`'s slots (its token hash) for a new socket, or says how long to wait.
   * Fails open: with Redis down the socket is let in (logged) and holds no lease.
   */
  acquire(session: string): Promise<{ decision: RateDecision; lease: SocketLease | null }>;
  /** Stops renewing; open sockets' leases then expire on their own. */
  close(): void;
}

/**
 * Concurrent WebSockets per session across every server process: each open socket holds a lease
 * (a member of the session's sorted set, scored by its expiry) that its process renews every
 * third of SOCKET_LEASE_MS, in one pipeline for all its sockets, and removes on close.
 */
export function createSocketLeases(deps: LimiterDeps, limit: number): SocketLeases {
  const held = new Map<string, { key: string; member: string }>();
  const logOutage = throttled(30_000);
  const keyOf = (session: string) => deps.namespace.key(`ratelimit:ws-sockets:${session}`);

  const renewTimer = setInterval(() => {
    if (held.size === 0) return;
    const expiry = Date.now() + SOCKET_LEASE_MS;
    // One MULTI for all on one server; one per slot on a cluster (the sessions' keys lie in many).
    const renewals = slotGroups(deps.redis, [...held.values()], (lease) => lease.key).map((group) => {
      const multi = deps.redis.multi();
      for (const { key, member } of group)
        multi.zadd(key, 'XX', expiry, member).pexpire(key, SOCKET_LEASE_MS);
      return multi.exec();
    });
    Promise.all(renewals).catch((error: unknown) => {
      logOutage(() => deps.logger.warn({ err: error }, 'could not renew the WebSocket leases'));
    });
  }, SOCKET_LEASE_MS / 3);
  renewTimer.unref();

  async function acquire(session: string) {
    if (limit === 0) return { decision: { allowed: true } as const, lease: null };
    const key = keyOf(session);
    const member = randomUUID();
    const now = Date.now();
    let taken: unknown;
    try {
      taken = await withTimeout(
        deps.redis.eval(ACQUIRE, 1, key, now, now + SOCKET_LEASE_MS, member, limit, SOCKET_LEASE_MS),
        LIMIT_REDIS_TIMEOUT_MS,
        'WebSocket lease',
      );
    } catch (error) {
      logOutage(() =>
        deps.logger.warn({ err: error }, 'WebSocket lease store unavailable; letting sockets through'),
      );
      return { decision: { allowed: true } as const, lease: null };
    }
    if (Number(taken) !== 1) {
      deps.logger.info({ limit }, 'websocket refused: the session has too many sockets open');
      return {
        decision: { allowed: false, retryAfterSeconds: FULL_RETRY_AFTER_SECONDS } as const,
        lease: null,
      };
    }
    held.set(member, { key, member });
    const release = () => {
      if (!held.delete(member)) return;
      deps.redis.zrem(key, member).catch((error: unknown) => {
        deps.logger.debug({ err: error }, 'could not release a WebSocket lease (it expires)');
      });
    };
    return { decision: { allowed: true } as const, lease: { release } };
  }

  return { acquire, close: () => clearInterval(renewTimer) };
}
