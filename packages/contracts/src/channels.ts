import { z } from 'zod';
import { AlertStatusEvent } from './alerts.ts';
import { orderSlotTag } from './order-percent.ts';
import { PaymentStatusEvent } from './payments.ts';
import { OrderComplete, OrderProgress, OrderStatusEvent, TaskProgress, TaskStatusEvent } from './progress.ts';

/**
 * Channel names follow `{scope}:{id}:{type}`. Each scope has its own set of types and each
 * (scope, type) pair its own payload schema.
 */
export const CHANNEL_SCHEMAS = {
  task: { progress: TaskProgress, status: TaskStatusEvent },
  order: { progress: OrderProgress, complete: OrderComplete, status: OrderStatusEvent },
  /** A payment transaction's id (the inbox's row), not the provider's. */
  payment: { status: PaymentStatusEvent },
  /** An operational alert's row id (docs/alerts.md). */
  alert: { status: AlertStatusEvent },
} as const;

type Schemas = typeof CHANNEL_SCHEMAS;
export type ChannelScope = keyof Schemas;
export type ChannelType<S extends ChannelScope = ChannelScope> = keyof Schemas[S] & string;

/** A parsed channel name. */
export type Channel = {
  [S in ChannelScope]: { [T in ChannelType<S>]: { scope: S; id: number; type: T } }[ChannelType<S>];
}[ChannelScope];

/** The payload type carried on a (scope, type) channel. */
export type ChannelPayload<S extends ChannelScope, T extends ChannelType<S>> = z.infer<
  Schemas[S][T] extends z.ZodType ? Schemas[S][T] : never
>;

/** A parsed, validated message: the channel and its typed payload. */
export type ChannelMessage = {
  [S in ChannelScope]: {
    [T in ChannelType<S>]: { channel: { scope: S; id: number; type: T }; payload: ChannelPayload<S, T> };
  }[ChannelType<S>];
}[ChannelScope];

const CHANNEL_RE = /^([a-z]+):([1-9][0-9]{0,15}):([a-z]+)$/;

/** Formats a channel name, e.g. formatChannel('task', 456, 'progress') -> 'task:456:progress'. */
export function formatChannel<S extends ChannelScope>(scope: S, id: number, type: ChannelType<S>): string {
  if (!Number.isSafeInteger(id) || id <= 0)
    throw new RangeError(`channel id must be a positive integer: ${id}`);
  return `${scope}:${id}:${type}`;
}

/** Parses a channel name; null for anything off the convention. */
export function parseChannel(name: string): Channel | null {
  const match = CHANNEL_RE.exec(name);
  if (!match) return null;
  const [, scope, idText, type] = match as unknown as [string, string, string, string];
  if (!Object.hasOwn(CHANNEL_SCHEMAS, scope)) return null;
  const types = CHANNEL_SCHEMAS[scope as ChannelScope];
  if (!Object.hasOwn(types, type)) return null;
  const id = Number(idText);
  if (!Number.isSafeInteger(id)) return null;
  return { scope, id, type } as Channel;
}

export type ParseMessageResult =
  | { ok: true; message: ChannelMessage }
  | { ok: false; reason: 'bad_channel' | 'bad_json' | 'bad_payload' | 'id_mismatch'; detail: string };

/**
 * Parses a raw pub/sub message: the channel name and its JSON payload, validated against the
 * channel's schema. The payload's own id must match the channel's id.
 */
export function parseChannelMessage(channelName: string, raw: string): ParseMessageResult {
  const channel = parseChannel(channelName);
  if (!channel) return { ok: false, reason: 'bad_channel', detail: `not a Paidflow channel: ${channelName}` };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return { ok: false, reason: 'bad_json', detail: (error as Error).message };
  }
  const schema = (CHANNEL_SCHEMAS[channel.scope] as Record<string, z.ZodType>)[channel.type];
  const parsed = schema!.safeParse(json);
  if (!parsed.success) {
    return { ok: false, reason: 'bad_payload', detail: parsed.error.issues.map(formatIssue).join('; ') };
  }
  const payload = parsed.data as {
    taskId?: number;
    orderId?: number | null;
    transactionId?: number;
    alertId?: number;
  };
  const payloadId = payloadIdOf(channel.scope, payload);
  if (payloadId !== channel.id) {
    return {
      ok: false,
      reason: 'id_mismatch',
      detail: `channel id ${channel.id} but payload id ${payloadId}`,
    };
  }
  return { ok: true, message: { channel, payload } as ChannelMessage };
}

/** The id a payload carries for its channel's scope (a switch: no object per message). */
function payloadIdOf(
  scope: ChannelScope,
  payload: { taskId?: number; orderId?: number | null; transactionId?: number; alertId?: number },
): number | null | undefined {
  switch (scope) {
    case 'task':
      return payload.taskId;
    case 'order':
      return payload.orderId;
    case 'payment':
      return payload.transactionId;
    case 'alert':
      return payload.alertId;
  }
}

function formatIssue(issue: z.core.$ZodIssue): string {
  return `${issue.path.join('.') || '(root)'}: ${issue.message}`;
}

/** Validates a payload for a channel and returns [channelName, json] ready to PUBLISH. */
export function encodeChannelMessage<S extends ChannelScope, T extends ChannelType<S>>(
  scope: S,
  id: number,
  type: T,
  payload: ChannelPayload<S, T>,
): [channel: string, json: string] {
  const schema = (CHANNEL_SCHEMAS[scope] as Record<string, z.ZodType>)[type]!;
  const data = schema.parse(payload);
  return [formatChannel(scope, id, type), JSON.stringify(data)];
}

/**
 * The psubscribe patterns a server listens on: few and fixed, whatever the number of clients.
 * `?*` rather than `*` skips the empty id, and parseChannel rejects the rest of what they catch.
 */
export const CHANNEL_PATTERNS = [
  'task:?*:progress',
  'task:?*:status',
  'order:?*:*',
  'payment:?*:status',
  'alert:?*:status',
] as const;

/** How long the latest value of a channel is kept in Redis for newcomers. */
export const LATEST_TTL_SECONDS = 3600;

/**
 * The Redis key that keeps a channel's latest message. The channels of an order and of its tasks
 * pass the order's id: the key carries the order's slot tag, so it shares one Redis Cluster slot
 * with the order's other keys and one MULTI can write them together (decision 058). Channels
 * outside an order (payments, alerts) pass null.
 */
export function latestKey(channel: string, orderId: number | null): string {
  return orderId === null ? `latest:${channel}` : `latest:${orderSlotTag(orderId)}:${channel}`;
}

/** One Redis command as ioredis's multi() and pipeline() take it: its name, then its arguments. */
export type RedisCommand = [string, ...Array<string | number>];

/**
 * The Redis commands that publish a message and keep it as the channel's latest value (with a
 * one-hour TTL), for a MULTI: `redis.multi(publishCommands(...)).exec()`. PUBLISH has no key, so
 * the MULTI runs on the node of the latest key's slot, and Redis Cluster carries the message to
 * every node.
 */
export function publishCommands(
  channel: string,
  json: string,
  namespace: { channel(name: string): string; key(name: string): string },
  /** The order the channel belongs to (latestKey), or null. */
  orderId: number | null,
): RedisCommand[] {
  return [
    ['set', namespace.key(latestKey(channel, orderId)), json, 'EX', LATEST_TTL_SECONDS],
    ['publish', namespace.channel(channel), json],
  ];
}

/**
 * A control channel between server processes, outside the live-event convention (no scope, id
 * and type; CHANNEL_PATTERNS never match it): a session that ended (sign-out) is announced here so
 * that every server process closes the WebSockets it authenticated.
 */
export const SESSION_REVOKED_CHANNEL = 'control:session-revoked';

/** The message on SESSION_REVOKED_CHANNEL: the ended session's token hash (SHA-256, hex). */
export const SessionRevoked = z.object({ tokenHash: z.string().regex(/^[0-9a-f]{64}$/) });
export type SessionRevoked = z.infer<typeof SessionRevoked>;

/**
 * A control channel like SESSION_REVOKED_CHANNEL: a server process whose live message Redis
 * refused (a cluster master failing over, Redis down) announces here, once Redis answers again,
 * that every process's listeners must resynchronise: the message reached none of them.
 */
export const LIVE_RESYNC_CHANNEL = 'control:live-resync';

/** The message on LIVE_RESYNC_CHANNEL: the announcing process's hub (it has resynced already). */
export const LiveResync = z.object({ from: z.string().min(1).max(100) });
export type LiveResync = z.infer<typeof LiveResync>;
