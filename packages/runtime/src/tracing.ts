import {
  type Attributes,
  type Context,
  context,
  DiagLogLevel,
  diag,
  INVALID_SPAN_CONTEXT,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { BullMQOtel } from 'bullmq-otel';
import type { Logger } from './logger.ts';
import { withTimeout } from './timeout.ts';
import { quietQueueSampler } from './tracing-sampler.ts';

export type { Span };
export { SpanKind };

/** How long the stop waits for the last spans to be exported. */
const SHUTDOWN_MS = 3_000;

/** The tracer every Paidflow span comes from (the webhook, the outbox, the worker's steps...). */
const TRACER_NAME = 'paidflow';

export interface TracingOptions {
  /** The process's parsed TracingEnv: OTEL_EXPORTER_OTLP_ENDPOINT unset, tracing stays off. */
  env: { OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined; OTEL_SERVICE_NAME?: string | undefined };
  /** The service name unless OTEL_SERVICE_NAME says otherwise (paidflow-server, paidflow-worker). */
  service: string;
  /** More resource attributes (e.g. service.instance.id: the worker's id). */
  attributes?: Attributes;
  logger: Logger;
}

/** A process's tracing: exporting over OTLP/HTTP, or off (the API's no-op tracer, no SDK at all). */
export interface Tracing {
  readonly enabled: boolean;
  /** Exports what is buffered and stops; call it last on the way out. Safe to call twice. */
  shutdown(): Promise<void>;
}

let provider: TracerProvider | null = null;
let bullmq: BullMQOtel | undefined;
const OFF: Tracing = { enabled: false, shutdown: async () => {} };
const NOOP_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** The OTLP/HTTP traces URL for a base endpoint, as the OTLP exporter specification appends it. */
export function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Starts tracing when an endpoint is given: registers a tracer provider (BatchSpanProcessor to an
 * OTLP/HTTP JSON exporter), the AsyncLocalStorage context manager and the W3C trace-context
 * propagator. Without one nothing is registered: every span helper below costs a branch. Call it
 * once, before the process builds its queues and workers (they read queueTelemetry()).
 */
export function startTracing(options: TracingOptions): Tracing {
  const endpoint = options.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint) return OFF;
  if (provider) throw new Error('tracing is already started in this process');
  const { logger } = options;
  const serviceName = options.env.OTEL_SERVICE_NAME?.trim() || options.service;
  reportExportErrors(logger);
  const started = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName, ...options.attributes }),
    sampler: quietQueueSampler(),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: tracesUrl(endpoint), timeoutMillis: 5_000 }),
        scheduledDelayMillis: 1_000,
      }),
    ],
  });
  provider = started;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(started);
  bullmq = new BullMQOtel(TRACER_NAME);
  logger.info({ endpoint: tracesUrl(endpoint), service: serviceName }, 'tracing on: exporting spans');
  let stopping: Promise<void> | null = null;
  return {
    enabled: true,
    shutdown() {
      // Bounded: a collector that is down must not hold up the process's stop (the exporter
      // retries a refused export for a while).
      stopping ??= withTimeout(started.shutdown(), SHUTDOWN_MS, 'flushing spans')
        .catch((error: unknown) => logger.warn({ err: error }, 'tracing: flushing the last spans failed'))
        .finally(() => {
          // Back to the API's no-ops: a later startTracing in the same process (tests) starts afresh.
          provider = null;
          bullmq = undefined;
          trace.disable();
          context.disable();
          propagation.disable();
        });
      return stopping;
    },
  };
}

/** Exporter failures (collector down, refused) as log lines, at most one a minute. */
function reportExportErrors(logger: Logger): void {
  let lastAt = 0;
  const report = (message: string) => {
    if (Date.now() - lastAt < 60_000) return;
    lastAt = Date.now();
    logger.warn({ detail: message.slice(0, 500) }, 'tracing: exporting spans failed');
  };
  diag.setLogger(
    {
      error: report,
      warn: report,
      info: () => {},
      debug: () => {},
      verbose: () => {},
    },
    DiagLogLevel.WARN,
  );
}

/** Whether this process exports spans (startTracing was given an endpoint). */
export function tracingEnabled(): boolean {
  return provider !== null;
}

/** BullMQ's `telemetry` option (bullmq-otel) for Queue and Worker: undefined while tracing is off. */
export function queueTelemetry(): BullMQOtel | undefined {
  return bullmq;
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** The parent, when it is not the active context (e.g. extracted from a message). */
  parent?: Context;
}

/**
 * Runs `fn` inside a new active span (a child of the active one, or of `options.parent`), ends
 * it when `fn` settles and marks it failed when `fn` throws. While tracing is off, `fn` just runs.
 */
export function inSpan<T>(
  name: string,
  fn: (span: Span) => Promise<T>,
  options: SpanOptions = {},
): Promise<T> {
  if (!provider) return fn(NOOP_SPAN);
  const tracer = trace.getTracer(TRACER_NAME);
  const parent = options.parent ?? context.active();
  const spanOptions = { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes };
  return tracer.startActiveSpan(name, spanOptions, parent, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : undefined,
      });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The W3C `traceparent` (and `tracestate`) of the active span, added to `carrier`; nothing when off. */
export function injectTraceHeaders<T extends Record<string, string>>(carrier: T): T {
  if (provider) propagation.inject(context.active(), carrier);
  return carrier;
}

/**
 * The context a message or request carries (its `traceparent` entry), on top of no other: what
 * it continues. Absent or invalid, a root (a span started on it starts a trace of its own).
 */
export function extractTraceContext(carrier: Record<string, unknown>): Context {
  if (!provider) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, carrier, {
    keys: (c) => Object.keys(c),
    get: (c, key) => {
      const value = c[key];
      return typeof value === 'string' || Array.isArray(value) ? (value as string | string[]) : undefined;
    },
  });
}

/**
 * `fn`, bound to no trace: for loops a traced request wakes (a timer set inside a span would
 * otherwise carry that span into every later pass, and into their log lines).
 */
export function detachedFromTrace<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  return provider ? context.bind(ROOT_CONTEXT, fn) : fn;
}
