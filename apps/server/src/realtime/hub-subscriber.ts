import { createSubscriber, type Logger, type RedisTarget } from '@paidflow/runtime';
import { subscribeWithin } from './subscribe-within.ts';

export interface HubSubscriberOptions {
  redis: RedisTarget;
  logger: Logger;
  /** Patterns to psubscribe and channels to subscribe, every time the connection is (re)made. */
  patterns: string[];
  channels: string[];
  onPMessage: (channel: string, message: string) => void;
  onMessage: (channel: string, message: string) => void;
  /** The connection dropped: messages are being missed. Once per outage. */
  onDown?: () => void;
  /** The connection is back and resubscribed: what was missed must be read again. */
  onRestored: () => void;
}

export interface HubSubscriber {
  /** Connects and subscribes, waiting at most `timeoutMs` (subscribe-within.ts). */
  start(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The hub's one subscriber connection and its outages. It queues commands while disconnected
 * and never gives up; on a cluster it moves to another node when its own is gone
 * (createSubscriber). Each outage is reported once (onDown), whichever of 'close' and 'error'
 * comes first; when the connection is back, onRestored follows our own resubscribe.
 */
export function createHubSubscriber(options: HubSubscriberOptions): HubSubscriber {
  const { logger, patterns, channels } = options;
  const subscriber = createSubscriber(options.redis, { connectionName: 'realtime' });
  const subscribeAll = () =>
    Promise.all([subscriber.psubscribe(...patterns), subscriber.subscribe(...channels)]);
  let down = false;
  let started = false;

  function wentDown(): boolean {
    if (!started || down) return false;
    down = true;
    options.onDown?.();
    return true;
  }
  // ioredis re-subscribes by itself; waiting for our own (idempotent) psubscribe reply makes sure
  // the patterns are active before anything reads its snapshot again. Retried while the
  // connection stays up: until it succeeds, nothing is restored.
  function resubscribe(): void {
    subscribeAll()
      .then(options.onRestored)
      .catch((error: unknown) => {
        logger.warn({ err: error }, 'realtime re-subscribe failed; retrying');
        if (started && !down) setTimeout(resubscribe, 1_000).unref();
      });
  }

  subscriber.on('error', (error) => {
    if (wentDown()) logger.warn({ err: error }, 'realtime subscriber connection error; reconnecting');
  });
  subscriber.on('close', () => {
    wentDown();
  });
  subscriber.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info('realtime subscriber connection restored; subscriptions resync');
    resubscribe();
  });
  subscriber.on('pmessage', (_pattern: string, channel: string, message: string) =>
    options.onPMessage(channel, message),
  );
  subscriber.on('message', (channel: string, message: string) => options.onMessage(channel, message));

  return {
    async start(timeoutMs) {
      started = true;
      await subscribeWithin(subscriber, subscribeAll, { logger, patterns, timeoutMs });
    },
    async stop() {
      started = false;
      try {
        await subscriber.quit();
      } catch {
        subscriber.disconnect();
      }
    },
  };
}
