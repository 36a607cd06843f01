export * from './backoff.ts';
export * from './logger.ts';
export * from './redis.ts';
export * from './shutdown.ts';
export * from './timeout.ts';
export * from './tracing.ts';
export * from './tracing-env.ts';
