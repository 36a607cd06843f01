import { formatChannel, parseChannelMessage, type RedisNamespace } from '@paidflow/contracts';
import type { Logger } from './logger.ts';
import { createRedis } from './redis.ts';

export interface CancellationWatch {
  /** Resolves once the subscription is active (or failed: cancellation then reaches the job through the server's answers). */
  ready: Promise<void>;
  stop(): void;
}

/**
 * Hears task:{id}:status messages for the tasks this process is running, on one subscriber
 * connection: a job watches its task's channel while it runs, and is told when the task becomes
 * cancelled. Subscribing to a few exact channels keeps a worker from hearing every task's status.
 */
export function createCancellationListener(options: {
  redisUrl: string;
  namespace: RedisNamespace;
  logger: Logger;
}) {
  const { namespace, logger } = options;
  // The offline queue stays on here: a subscribe waits for the connection instead of failing,
  // and ioredis subscribes again after a reconnect.
  const subscriber = createRedis(options.redisUrl, logger, {
    enableOfflineQueue: true,
    maxRetriesPerRequest: null,
    connectionName: 'cancellation',
  });
  const watchers = new Map<number, Set<() => void>>();

  subscriber.on('message', (raw: string, message: string) => {
    const name = namespace.unprefixChannel(raw);
    if (!name) return;
    const parsed = parseChannelMessage(name, message);
    if (!parsed.ok) {
      logger.warn(
        { channel: raw, reason: parsed.reason, detail: parsed.detail },
        'ignored a bad status message',
      );
      return;
    }
    const { channel, payload } = parsed.message;
    if (channel.scope !== 'task' || channel.type !== 'status') return;
    if (!('newStatus' in payload) || payload.newStatus !== 'cancelled') return;
    for (const onCancel of watchers.get(channel.id) ?? []) onCancel();
  });

  function watch(taskId: number, onCancel: () => void): CancellationWatch {
    const channel = namespace.channel(formatChannel('task', taskId, 'status'));
    let set = watchers.get(taskId);
    let ready: Promise<void> = Promise.resolve();
    if (!set) {
      set = new Set();
      watchers.set(taskId, set);
      ready = subscriber.subscribe(channel).then(
        () => undefined,
        (error: unknown) => logger.warn({ err: error, channel }, 'could not subscribe to a task status'),
      );
    }
    set.add(onCancel);
    return {
      ready,
      stop() {
        const current = watchers.get(taskId);
        if (!current) return;
        current.delete(onCancel);
        if (current.size > 0) return;
        watchers.delete(taskId);
        subscriber
          .unsubscribe(channel)
          .catch((error: unknown) => logger.debug({ err: error, channel }, 'unsubscribe failed'));
      },
    };
  }

  return {
    watch,
    async close(): Promise<void> {
      watchers.clear();
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}

export type CancellationListener = ReturnType<typeof createCancellationListener>;
