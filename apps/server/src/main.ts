import { createLogger, logUnhandledRejections, stopOnSignals } from '@paidflow/runtime';
import { startServer } from './app.ts';
import { loadEnv } from './env.ts';

const env = loadEnv();
const logger = createLogger(env.LOG_LEVEL, 'server');
logUnhandledRejections(logger);
const server = await startServer(env, logger);
stopOnSignals({ logger, stop: () => server.close(), forceAfterMs: 10_000 });
