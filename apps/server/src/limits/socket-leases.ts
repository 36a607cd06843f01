import { randomUUID } from 'node:crypto';
import { pipelinePerNode, withTimeout } from '@paidflow/runtime';
import { LIMIT_REDIS_TIMEOUT_MS, type LimiterDeps, type RateDecision, throttled } from './limiter.ts';

/** A socket's lease outlives its last renewal by this: a crashed process's sockets free their slots. */
export const SOCKET_LEASE_MS = 60_000;
/**
 * Leases renewed per step. A step's commands are built in one go, then the event loop is free
 * until Redis answers. Renewing 10,000 leases in one MULTI held the loop 215-240 ms (live
 * messages wait behind it); in steps, the longest hold is 18-26 ms (decision 069).
 */
export const RENEW_STEP_LEASES = 100;
/** A step Redis has not answered within this is given up: the round goes on with the next. */
const RENEW_STEP_TIMEOUT_MS = 2_000;
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
  /** Stops renewing, a round under way included; open sockets' leases then expire on their own. */
  close(): void;
}

/**
 * Concurrent WebSockets per session across every server process: each open socket holds a lease
 * (a member of the session's sorted set, scored by its expiry) that its process renews every
 * third of the lease, RENEW_STEP_LEASES at a time, and removes on close.
 */
export function createSocketLeases(
  deps: LimiterDeps,
  limit: number,
  options: { leaseMs?: number } = {},
): SocketLeases {
  const leaseMs = options.leaseMs ?? SOCKET_LEASE_MS;
  const held = new Map<string, { key: string; member: string }>();
  const logOutage = throttled(30_000);
  const keyOf = (session: string) => deps.namespace.key(`ratelimit:ws-sockets:${session}`);

  // One round at a time, RENEW_STEP_LEASES at a time: the next step is sent once Redis answered
  // the last. A step is one pipeline per Redis node (pipelinePerNode), and each stands alone: one
  // that fails or times out (a master down, a silent connection) costs only its own leases this
  // round, and the round goes on; the failures are logged at most once per 30 s.
  let renewing = false;
  let closed = false;
  async function renew(): Promise<void> {
    if (renewing || closed || held.size === 0) return;
    renewing = true;
    let failure: unknown = null;
    try {
      const leases = [...held.values()];
      for (let at = 0; at < leases.length; at += RENEW_STEP_LEASES) {
        if (closed) return;
        const expiry = Date.now() + leaseMs;
        const batches = await pipelinePerNode(
          deps.redis,
          leases.slice(at, at + RENEW_STEP_LEASES),
          (lease) => lease.key,
          (pipeline, { key, member }) => pipeline.zadd(key, 'XX', expiry, member).pexpire(key, leaseMs),
          { timeoutMs: RENEW_STEP_TIMEOUT_MS, what: 'WebSocket lease renewal' },
        );
        for (const batch of batches) if ('error' in batch) failure ??= batch.error;
      }
    } finally {
      renewing = false;
    }
    if (failure !== null && !closed) {
      logOutage(() => deps.logger.warn({ err: failure }, 'could not renew the WebSocket leases'));
    }
  }
  const renewTimer = setInterval(() => void renew(), leaseMs / 3);
  renewTimer.unref();

  async function acquire(session: string) {
    if (limit === 0) return { decision: { allowed: true } as const, lease: null };
    const key = keyOf(session);
    const member = randomUUID();
    const now = Date.now();
    let taken: unknown;
    try {
      taken = await withTimeout(
        deps.redis.eval(ACQUIRE, 1, key, now, now + leaseMs, member, limit, leaseMs),
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

  function close(): void {
    closed = true;
    clearInterval(renewTimer);
  }

  return { acquire, close };
}
