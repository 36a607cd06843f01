import {
  type ChannelPayload,
  type ChannelScope,
  type ChannelType,
  encodeChannelMessage,
  publishCommands,
  type RedisCommand,
  SESSION_REVOKED_CHANNEL,
  type SessionRevoked,
} from '@paidflow/contracts';
import type { ChainableCommander } from 'ioredis';
import type { AppDeps } from '../deps.ts';

/** A live message ready to go: its channel, and its commands (PUBLISH, the latest value, alongside). */
export interface LiveMessage {
  channel: string;
  commands: RedisCommand[];
}

/**
 * The live message on `{scope}:{id}:{type}`, its payload validated against the contract, with
 * the commands that publish it and keep it as the channel's latest value (one-hour TTL).
 */
export function liveMessage<S extends ChannelScope, T extends ChannelType<S>>(
  deps: Pick<AppDeps, 'namespace'>,
  scope: S,
  id: number,
  type: T,
  payload: ChannelPayload<S, T>,
  /** Commands for the same MULTI (keys of the same order), for example the order's task percents. */
  alongside: RedisCommand[] = [],
): LiveMessage {
  const [channel, json] = encodeChannelMessage(scope, id, type, payload);
  return {
    channel,
    commands: [...alongside, ...publishCommands(channel, json, deps.namespace, orderOf(scope, id, payload))],
  };
}

/**
 * Publishes live messages in one MULTI, in their order. They must belong to one order: their keys
 * carry its slot tag, which a Redis Cluster needs of one MULTI. Live messages are ephemeral: when
 * Redis is down the failure is logged and the caller goes on (MySQL already holds the durable
 * state, and newcomers read it from there).
 */
export async function publishLiveMessages(
  deps: Pick<AppDeps, 'redis' | 'logger'> & Partial<Pick<AppDeps, 'realtime'>>,
  messages: LiveMessage[],
): Promise<boolean> {
  try {
    await deps.redis.multi(messages.flatMap((message) => message.commands)).exec();
    return true;
  } catch (error) {
    const channel = messages.map((message) => message.channel).join(' ');
    deps.logger.warn({ err: error, channel }, 'live message not published');
    // This process's listeners would never hear it: they resync from MySQL instead.
    deps.realtime?.hub.announcementLost();
    return false;
  }
}

// KEYS[1] the lease, KEYS[2] the channel's latest value. ARGV[1] the lease's ms; ARGV[2] how many
// fields of the latest value must still hold what the message was built on, then each field's name
// and value; then each command to run, as its length and its words. The latest value gone, or one
// field moved on: -1, nothing done. The lease taken by another: 0. Else the lease is taken, the
// commands run, and 1. Both keys carry one order's slot tag (Redis Cluster).
const UNDER_LEASE = `
local raw = redis.call('GET', KEYS[2])
if not raw then return -1 end
local ok, latest = pcall(cjson.decode, raw)
if not ok or type(latest) ~= 'table' then return -1 end
local fields = tonumber(ARGV[2])
for i = 3, 2 + 2 * fields, 2 do
  local value = latest[ARGV[i]]
  if value == nil then value = 0 end
  if type(value) ~= 'number' or value ~= tonumber(ARGV[i + 1]) then return -1 end
end
if not redis.call('SET', KEYS[1], '1', 'PX', ARGV[1], 'NX') then return 0 end
local i = 3 + 2 * fields
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  redis.call(unpack(ARGV, i + 1, i + n))
  i = i + n + 1
end
return 1`;

export interface LeaseGuard {
  /** The per-order lease: one publisher across the server processes per `ttlMs`. */
  leaseKey: string;
  ttlMs: number;
  /** The message channel's latest-value key (it carries the same order's slot tag). */
  latestKey: string;
  /** Integer fields of the latest value that must still hold these values (read as 0 when absent). */
  expect: Record<string, number>;
}

export type LeaseOutcome = 'published' | 'leased' | 'moved';

/**
 * Queues on `pipeline` a live message's publish, in one script (one command), run only if the
 * channel's latest value still holds what the message was built on and the lease is free; the
 * script takes the lease. Its reply, read with leaseOutcome: `published`; `leased` (another
 * process publishes in this interval); `moved` (the latest value is gone or changed: the caller's
 * view is stale). Several orders' scripts may share a pipeline (the order progress relay).
 */
export function queueUnderLease(pipeline: ChainableCommander, guard: LeaseGuard, message: LiveMessage): void {
  const expected = Object.entries(guard.expect);
  const args: Array<string | number> = [guard.ttlMs, expected.length];
  for (const [field, value] of expected) args.push(field, String(value));
  for (const command of message.commands) args.push(command.length, ...command);
  pipeline.eval(UNDER_LEASE, 2, guard.leaseKey, guard.latestKey, ...args);
}

/** What a queueUnderLease script did, from its reply. */
export function leaseOutcome(reply: unknown): LeaseOutcome {
  return reply === 1 ? 'published' : reply === 0 ? 'leased' : 'moved';
}

/** Publishes one live message (liveMessage, publishLiveMessages). */
export async function publishLive<S extends ChannelScope, T extends ChannelType<S>>(
  deps: Pick<AppDeps, 'redis' | 'logger' | 'namespace'> & Partial<Pick<AppDeps, 'realtime'>>,
  scope: S,
  id: number,
  type: T,
  payload: ChannelPayload<S, T>,
  alongside: RedisCommand[] = [],
): Promise<boolean> {
  return publishLiveMessages(deps, [liveMessage(deps, scope, id, type, payload, alongside)]);
}

/** The order a channel belongs to, whose slot tag its latest key carries (latestKey). */
function orderOf(scope: ChannelScope, id: number, payload: unknown): number | null {
  if (scope === 'order') return id;
  if (scope === 'task') return (payload as { orderId: number }).orderId;
  return null;
}

/**
 * Announces an ended session to every server process (each closes the WebSockets it opened for
 * it). When Redis is down the failure is logged: the session is already gone from MySQL, so those
 * sockets can no longer be reopened, and each closes at the latest when the session would expire.
 */
export async function publishSessionRevoked(
  deps: Pick<AppDeps, 'redis' | 'logger' | 'namespace'>,
  tokenHash: string,
): Promise<boolean> {
  const message: SessionRevoked = { tokenHash };
  try {
    await deps.redis.publish(deps.namespace.channel(SESSION_REVOKED_CHANNEL), JSON.stringify(message));
    return true;
  } catch (error) {
    deps.logger.warn({ err: error }, 'session revocation not announced to other server processes');
    return false;
  }
}
