import { context, propagation, trace } from '@opentelemetry/api';

/**
 * The active trace, as the rows written inside it keep it. The apps start tracing (or not, and
 * then the API's no-ops answer here: no SDK, nothing added); this package only reads the context.
 */

/** `{ traceparent }` of the active span, for an outbox payload: its consumer continues the trace. */
export function activeTraceparent(): { traceparent?: string } {
  const carrier: { traceparent?: string } = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? { traceparent: carrier.traceparent } : {};
}

/** The active span's trace id, when it is recorded (tracing on and sampled). */
export function activeTraceId(): string | undefined {
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const { traceId, traceFlags } = span.spanContext();
  return traceFlags & 1 ? traceId : undefined;
}
