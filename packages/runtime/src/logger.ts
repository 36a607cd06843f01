import { pino } from 'pino';

export type Logger = pino.Logger;

/**
 * Every secret a log line might carry, redacted in every process alike: credentials in headers
 * (either case), cookies, tokens, secrets and passwords at any depth of one level.
 */
export const REDACTED_PATHS = [
  '*.authorization',
  '*.Authorization',
  '*.cookie',
  '*.secret',
  '*.token',
  '*.password',
  'req.headers',
];

/** A JSON logger to stdout, named for its process ('server', 'worker', ...). */
export function createLogger(level: string, name = 'paidflow'): Logger {
  return pino({ name, level, redact: REDACTED_PATHS });
}
