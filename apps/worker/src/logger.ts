import { pino } from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string, name = 'worker'): Logger {
  return pino({
    name,
    level,
    // Secrets never reach a log line, whatever a caller passes.
    redact: ['*.authorization', '*.Authorization', '*.token', '*.secret', '*.password'],
  });
}
