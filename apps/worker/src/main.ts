import { createLogger, logUnhandledRejections, stopOnSignals } from '@paidflow/runtime';
import { startWorker } from './app.ts';
import { loadEnv } from './env.ts';

const env = loadEnv();
const logger = createLogger(env.LOG_LEVEL, 'worker');
logUnhandledRejections(logger);
const running = await startWorker(env, logger);
// The grace period plus time to release jobs and close connections; then give up.
stopOnSignals({ logger, stop: () => running.close(), forceAfterMs: env.WORKER_SHUTDOWN_GRACE_MS + 15_000 });
