import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** The server's Prometheus registry and its metrics; one per process (or per test server). */
export function createServerMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'paidflow_server_' });
  return {
    registry,
    httpRequests: new Counter({
      name: 'paidflow_http_requests_total',
      help: 'HTTP requests by route and status code',
      labelNames: ['route', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'paidflow_http_request_duration_seconds',
      help: 'HTTP request duration by route',
      labelNames: ['route'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    webhookDuration: new Histogram({
      name: 'paidflow_webhook_duration_seconds',
      help: 'Payment webhook handling time, from arrival to answer, by provider and status code',
      labelNames: ['provider', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    workerReportsRefused: new Counter({
      name: 'paidflow_worker_reports_refused_total',
      help: 'Worker reports refused because their run was superseded (fencing), by procedure',
      labelNames: ['procedure'] as const,
      registers: [registry],
    }),
    lostRuns: new Counter({
      name: 'paidflow_lost_runs_total',
      help: 'Runs the reconciler found lost (no live job, no live worker), by what BullMQ still had of the job',
      labelNames: ['job_state'] as const,
      registers: [registry],
    }),
  };
}

export type ServerMetrics = ReturnType<typeof createServerMetrics>;
