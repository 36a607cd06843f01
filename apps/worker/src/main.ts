import { createLogger, logUnhandledRejections, startTracing, stopOnSignals } from '@paidflow/runtime';
import { startWorker } from './app.ts';
import { loadEnv } from './env.ts';

const env = loadEnv();
const logger = createLogger(env.LOG_LEVEL, 'worker');
logUnhandledRejections(logger);
// Before the BullMQ worker is built (its telemetry option is read then); decision 052.
const tracing = startTracing({
  env,
  service: 'paidflow-worker',
  attributes: { 'service.instance.id': env.WORKER_ID },
  logger,
});
const running = await startWorker(env, logger);
// The grace period plus time to release jobs and close connections; then give up.
stopOnSignals({
  logger,
  stop: () => running.close().finally(() => tracing.shutdown()),
  forceAfterMs: env.WORKER_SHUTDOWN_GRACE_MS + 15_000,
});
