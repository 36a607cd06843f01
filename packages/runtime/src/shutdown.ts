import type { Logger } from './logger.ts';

/**
 * Runs every cleanup step even when one fails or hangs (each gets `stepTimeoutMs`), logging what
 * failed: a stop never leaves a connection open because an earlier step threw.
 */
export async function runAll(
  logger: Logger,
  steps: Array<[string, () => Promise<unknown>]>,
  stepTimeoutMs = 10_000,
): Promise<void> {
  for (const [name, step] of steps) {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        step(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`${name} did not stop within ${stepTimeoutMs} ms`)),
            stepTimeoutMs,
          );
        }),
      ]);
    } catch (error) {
      logger.warn({ err: error, step: name }, 'shutdown step failed');
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Logs an unhandled rejection instead of dying of it: call it first, before anything starts. */
export function logUnhandledRejections(logger: Logger): void {
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
}

/**
 * A process's main loop end: on SIGINT or SIGTERM calls `stop` once, then exits 0, or 1 when
 * `stop` took longer than `forceAfterMs`.
 */
export function stopOnSignals(options: {
  logger: Logger;
  stop: () => Promise<void>;
  forceAfterMs: number;
}): void {
  const { logger } = options;
  let stopping = false;
  async function shutdown(signal: string): Promise<void> {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error({ afterMs: options.forceAfterMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, options.forceAfterMs);
    force.unref();
    await options.stop();
    process.exit(0);
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => void shutdown(signal));
  }
}
