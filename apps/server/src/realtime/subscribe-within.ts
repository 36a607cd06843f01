import type { Logger, Subscriber } from '@paidflow/runtime';

/**
 * Connects the hub's subscriber and subscribes it, waiting at most `timeoutMs`: a server starts
 * even while Redis is away (ioredis keeps retrying and the queued subscriptions run on connect),
 * and says so.
 */
export async function subscribeWithin(
  subscriber: Subscriber,
  subscribeAll: () => Promise<unknown>,
  options: { logger: Logger; patterns: string[]; timeoutMs: number },
): Promise<void> {
  const { logger } = options;
  const subscribed = subscriber
    .connect()
    .catch(() => {
      // Unreachable now: ioredis keeps retrying and the queued psubscribe runs on connect.
    })
    .then(subscribeAll);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
    timer.unref();
  });
  try {
    const result = await Promise.race([subscribed, timeout]);
    if (result === 'timeout') {
      logger.warn('realtime subscriber not ready yet; live events start when Redis answers');
      subscribed.catch((error: unknown) => logger.warn({ err: error }, 'realtime psubscribe failed'));
    } else {
      logger.info({ patterns: options.patterns }, 'realtime hub subscribed');
    }
  } catch (error) {
    logger.warn({ err: error }, 'realtime psubscribe failed; retrying on reconnect');
  } finally {
    clearTimeout(timer);
  }
}
