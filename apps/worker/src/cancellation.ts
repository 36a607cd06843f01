import {
  formatChannel,
  parseChannelMessage,
  type RedisNamespace,
  type TaskStatusEvent,
} from '@paidflow/contracts';
import type { Logger } from '@paidflow/runtime';
import { createSubscriber, type RedisTarget } from '@paidflow/runtime';

export interface CancellationWatch {
  /** Resolves once the subscription is active (or failed: cancellation then reaches the job through the server's answers). */
  ready: Promise<void>;
  stop(): void;
}

/** What a running job is told about its task. */
export interface TaskWatcher {
  /** The task was cancelled. */
  onCancel(): void;
  /** The task's run token is now `runToken` (a claim or a fence): a run with a lower one was superseded. */
  onRunToken(runToken: number): void;
}

/**
 * Hears task:{id}:status messages for the tasks this process is running, on one subscriber
 * connection: a job watches its task's channel while it runs, and is told when the task becomes
 * cancelled or gets a newer run. Subscribing to a few exact channels keeps a worker from hearing
 * every task's status.
 */
export function createCancellationListener(options: {
  redis: RedisTarget;
  namespace: RedisNamespace;
  logger: Logger;
}) {
  const { namespace, logger } = options;
  // Subscribes wait for the connection instead of failing, and are made again after a reconnect
  // (on a cluster, on another node when this one is gone).
  const subscriber = createSubscriber(options.redis, { connectionName: 'cancellation' });
  let down = false;
  subscriber.on('error', (error: unknown) => {
    if (down) return;
    down = true;
    logger.warn({ err: error }, 'cancellation subscriber connection error; reconnecting');
  });
  subscriber.on('ready', () => {
    if (down) logger.info('cancellation subscriber connection restored');
    down = false;
  });
  const watchers = new Map<number, Set<TaskWatcher>>();

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
    const { channel } = parsed.message;
    if (channel.scope !== 'task' || channel.type !== 'status') return;
    // The parser checked the payload against the channel's own schema: task:{id}:status's.
    const event = parsed.message.payload as TaskStatusEvent;
    for (const watcher of watchers.get(channel.id) ?? []) {
      if (event.newStatus === 'cancelled') watcher.onCancel();
      if (event.runToken !== undefined) watcher.onRunToken(event.runToken);
    }
  });

  function watch(taskId: number, watcher: TaskWatcher): CancellationWatch {
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
    set.add(watcher);
    return {
      ready,
      stop() {
        const current = watchers.get(taskId);
        if (!current) return;
        current.delete(watcher);
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
