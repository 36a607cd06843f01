import { trace } from '@opentelemetry/api';
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

/**
 * The active span's ids on every line logged inside it (trace_id, span_id): a log line leads to
 * its payment's trace. Without a span (tracing off: always) it adds nothing.
 */
export function traceMixin(): object {
  const span = trace.getActiveSpan();
  // A fresh object each time: pino merges the line's own fields into what the mixin returns.
  if (!span) return {};
  const { traceId, spanId, traceFlags } = span.spanContext();
  return traceFlags & 1 ? { trace_id: traceId, span_id: spanId } : {};
}

/**
 * A JSON logger, named for its process ('server', 'worker', ...), to stdout (or `destination`,
 * for tests that read the lines).
 */
export function createLogger(level: string, name = 'paidflow', destination?: pino.DestinationStream): Logger {
  const options = { name, level, redact: REDACTED_PATHS, mixin: traceMixin };
  return destination ? pino(options, destination) : pino(options);
}
