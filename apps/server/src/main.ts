import { createLogger, logUnhandledRejections, startTracing, stopOnSignals } from '@paidflow/runtime';
import { startServer } from './app.ts';
import { loadEnv } from './env.ts';

const env = loadEnv();
const logger = createLogger(env.LOG_LEVEL, 'server');
logUnhandledRejections(logger);
// Before the server builds its queue (its telemetry option is read then). Manual spans only: no
// module needs patching at import, so nothing has to be loaded before this line (decision 052).
const tracing = startTracing({ env, service: 'paidflow-server', logger });
const server = await startServer(env, logger);
stopOnSignals({
  logger,
  // The last spans (the stop's own included) are flushed once everything else has closed.
  stop: () => server.close().finally(() => tracing.shutdown()),
  forceAfterMs: 10_000,
});
