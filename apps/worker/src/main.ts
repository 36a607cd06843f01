import { startWorker } from './app.ts';
import { loadEnv } from './env.ts';
import { createLogger } from './logger.ts';

const env = loadEnv();
const logger = createLogger(env.LOG_LEVEL);

process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));

const running = await startWorker(env, logger);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  // The grace period plus time to release jobs and close connections; then give up.
  const force = setTimeout(() => {
    logger.error('shutdown took too long; exiting');
    process.exit(1);
  }, env.WORKER_SHUTDOWN_GRACE_MS + 15_000);
  force.unref();
  await running.close();
  process.exit(0);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => void shutdown(signal));
}
