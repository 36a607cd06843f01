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

// Takes the lease KEYS[1] for ARGV[1] ms if it is free, and only then runs the commands that
// follow in ARGV, each as its length and its words. The other keys are declared for Redis Cluster:
// every one carries the same order's slot tag.
const UNDER_LEASE = `
if not redis.call('SET', KEYS[1], '1', 'PX', ARGV[1], 'NX') then return 0 end
local i = 2
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  redis.call(unpack(ARGV, i + 1, i + n))
  i = i + n + 1
end
return 1`;

/**
 * Publishes a live message only if the lease `leaseKey` (of the message's order) is free, and takes
 * it for `ttlMs`, in one script: one command and one round trip. Whether this call published;
 * throws when Redis fails (the caller logs: the lease and the message are one).
 */
export async function publishUnderLease(
  deps: Pick<AppDeps, 'redis'>,
  leaseKey: string,
  ttlMs: number,
  message: LiveMessage,
): Promise<boolean> {
  const keys = [
    leaseKey,
    ...message.commands.filter(([name]) => name !== 'publish').map(([, key]) => String(key)),
  ];
  const args: Array<string | number> = [...keys, ttlMs];
  for (const command of message.commands) args.push(command.length, ...command);
  return (await deps.redis.eval(UNDER_LEASE, keys.length, ...args)) === 1;
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
