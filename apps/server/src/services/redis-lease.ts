import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { withTimeout } from '@paidflow/runtime';
import type { Redis } from 'ioredis';

// Each script touches one key (KEYS[1]) and nothing else, so it runs unchanged on one Redis and on
// Redis Cluster (the key's slot decides the node). Values are compared to the holder's token.

// Take the lease when it is free, renew it when it is ours; anything else is someone else's.
const TAKE_OR_RENEW = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not holder then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;
// Renew only what is still ours: a holder whose lease lapsed (and maybe moved) must not revive it.
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** What a lease needs of a Redis client: EVAL. A single node's client and a Cluster's both fit. */
export type LeaseRedis = Pick<Redis, 'eval'>;

/**
 * One named lease in Redis, held by this process under its own token: at most one holder at a
 * time across every process on the key, for `ttlMs` past its last take or renewal. The token
 * names the holder (`host/pid/uuid`), so `GET <key>` tells an operator which process holds it.
 */
export interface RedisLease {
  readonly key: string;
  readonly token: string;
  /** Takes the lease if it is free, or renews it if it is ours: whether this process holds it now. */
  acquire(): Promise<boolean>;
  /** Extends the lease only if it is still ours: false once it lapsed or moved to another holder. */
  renew(): Promise<boolean>;
  /** Gives the lease up if it is still ours (another process may take it at once). */
  release(): Promise<void>;
}

export interface RedisLeaseOptions {
  /** The full key (namespace.key(...)): one key, so one Cluster slot. */
  key: string;
  ttlMs: number;
  /** Each Redis call fails after this long (a hung Redis must not hold a pass forever). */
  timeoutMs?: number;
}

/** The holder's name in the lease: which machine and process, and a random part of its own. */
export function leaseToken(): string {
  return `${os.hostname()}/${process.pid}/${randomUUID()}`;
}

/** A lease on `key`; every call throws when Redis does not answer (the caller decides what then). */
export function createRedisLease(redis: LeaseRedis, options: RedisLeaseOptions): RedisLease {
  const token = leaseToken();
  const timeoutMs = options.timeoutMs ?? 2_000;
  const ttl = String(options.ttlMs);

  async function run(script: string, args: string[], what: string): Promise<unknown> {
    return withTimeout(redis.eval(script, 1, options.key, token, ...args), timeoutMs, what);
  }

  return {
    key: options.key,
    token,
    async acquire() {
      return (await run(TAKE_OR_RENEW, [ttl], `lease ${options.key}`)) === 1;
    },
    async renew() {
      return (await run(RENEW, [ttl], `lease renewal ${options.key}`)) === 1;
    },
    async release() {
      await run(RELEASE, [], `lease release ${options.key}`);
    },
  };
}
