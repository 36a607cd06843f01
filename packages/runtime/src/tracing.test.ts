import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace';
import { expect, test } from 'vitest';
import { z } from 'zod';
import { createLogger } from './logger.ts';
import {
  extractTraceContext,
  injectTraceHeaders,
  inSpan,
  queueTelemetry,
  startTracing,
  tracesUrl,
  tracingEnabled,
} from './tracing.ts';
import { TracingEnv } from './tracing-env.ts';
import { quietQueueSampler } from './tracing-sampler.ts';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      callback();
    },
  });
  return { lines, logger: createLogger('info', 'test', stream) };
}

/** A port nothing listens on: an exporter sending there is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('without an endpoint tracing is off: spans are plain calls, nothing is injected, logs carry no ids', async () => {
  const { lines, logger } = capture();
  for (const env of [{}, { OTEL_EXPORTER_OTLP_ENDPOINT: '' }]) {
    const tracing = startTracing({ env, service: 'paidflow-test', logger });
    expect(tracing.enabled).toBe(false);
    await tracing.shutdown();
  }
  expect(tracingEnabled()).toBe(false);
  expect(queueTelemetry()).toBeUndefined();
  expect(await inSpan('work', async () => 42)).toBe(42);
  await expect(
    inSpan('work', async () => {
      throw new Error('boom');
    }),
  ).rejects.toThrow('boom');
  await inSpan('work', async () => {
    expect(injectTraceHeaders({ authorization: 'x' })).toEqual({ authorization: 'x' });
    logger.info('inside');
  });
  expect(extractTraceContext({ traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` })).toBe(
    ROOT_CONTEXT,
  );
  expect(lines.filter((line) => line.msg === 'inside')).toHaveLength(1);
  expect(lines.some((line) => 'trace_id' in line)).toBe(false);
  expect(trace.getActiveSpan()).toBeUndefined();
});

test("a log line's own fields never leak into the next line (pino merges into the mixin's object)", () => {
  const { lines, logger } = capture();
  logger.info({ orderId: 7 }, 'first');
  logger.info('second');
  expect(lines[1]).not.toHaveProperty('orderId');
});

test('on: spans nest, their ids reach log lines and the traceparent; a refused export is logged, not thrown', async () => {
  const { lines, logger } = capture();
  const endpoint = `http://127.0.0.1:${await closedPort()}`;
  const tracing = startTracing({
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint },
    service: 'paidflow-test',
    logger,
  });
  expect(tracing.enabled).toBe(true);
  expect(tracingEnabled()).toBe(true);
  expect(queueTelemetry()).toBeDefined();
  expect(() =>
    startTracing({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }, service: 'x', logger }),
  ).toThrow(/already started/);
  let headers: Record<string, string> = {};
  let ids = { traceId: '', parentId: '', childId: '' };
  await inSpan('parent', async (parent) => {
    await inSpan(
      'child',
      async (child) => {
        headers = injectTraceHeaders({});
        logger.info('inside the child');
        ids = {
          traceId: parent.spanContext().traceId,
          parentId: parent.spanContext().spanId,
          childId: child.spanContext().spanId,
        };
      },
      { kind: SpanKind.CLIENT },
    );
  });
  expect(ids.traceId).toMatch(/^[0-9a-f]{32}$/);
  expect(headers.traceparent).toBe(`00-${ids.traceId}-${ids.childId}-01`);
  expect(lines.find((line) => line.msg === 'inside the child')).toMatchObject({
    trace_id: ids.traceId,
    span_id: ids.childId,
  });
  // What a message carries is continued, on top of nothing else.
  const carried = extractTraceContext(headers);
  expect(trace.getSpanContext(carried)).toMatchObject({ traceId: ids.traceId, spanId: ids.childId });
  const garbled = extractTraceContext({ traceparent: 'garbage' });
  expect(trace.getSpanContext(garbled)).toBeUndefined();
  expect(lines.find((line) => line.msg === 'tracing on: exporting spans')).toMatchObject({
    endpoint: tracesUrl(endpoint),
    service: 'paidflow-test',
  });
  // The collector is down: the flush fails, says so, and the process goes on.
  await tracing.shutdown();
  expect(lines.some((line) => line.msg === 'tracing: flushing the last spans failed')).toBe(true);
  expect(tracingEnabled()).toBe(false);
  expect(context.active()).toBe(ROOT_CONTEXT);
}, 10_000);

test('queue housekeeping starts no trace of its own; a job-related queue span or any other root is kept', () => {
  const sampler = quietQueueSampler();
  const root = ROOT_CONTEXT;
  const parent = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: 'a'.repeat(32),
    spanId: 'b'.repeat(16),
    traceFlags: 1,
  });
  const decide = (ctx: typeof root, name: string) =>
    sampler.shouldSample(ctx, 'c'.repeat(32), name, SpanKind.INTERNAL, {}, []).decision;
  expect(decide(root, 'getNextJob downloads')).toBe(SamplingDecision.NOT_RECORD);
  expect(decide(root, 'moveStalledJobsToWait downloads')).toBe(SamplingDecision.NOT_RECORD);
  expect(decide(parent, 'getNextJob downloads')).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  expect(decide(root, 'POST /webhooks/payment')).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  expect(decide(root, 'outbox dispatch')).toBe(SamplingDecision.RECORD_AND_SAMPLED);
});

test('OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL; empty means unset', () => {
  const Env = z.object(TracingEnv);
  expect(Env.parse({ OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toEqual({ OTEL_EXPORTER_OTLP_ENDPOINT: '' });
  expect(
    Env.parse({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).OTEL_EXPORTER_OTLP_ENDPOINT,
  ).toBe('http://collector:4318');
  for (const bad of ['collector:4318', 'grpc://collector:4317']) {
    const parsed = Env.safeParse({ OTEL_EXPORTER_OTLP_ENDPOINT: bad });
    expect(parsed.error?.issues).toMatchObject([
      { path: ['OTEL_EXPORTER_OTLP_ENDPOINT'], message: 'must be an http(s) URL of an OTLP collector' },
    ]);
  }
  expect(tracesUrl('http://collector:4318/')).toBe('http://collector:4318/v1/traces');
});
