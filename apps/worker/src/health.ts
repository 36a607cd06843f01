import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger, RedisClient } from '@paidflow/runtime';
import { withTimeout } from '@paidflow/runtime';
import type { Worker } from 'bullmq';
import type { WorkerMetrics } from './metrics.ts';

export interface HealthServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

/** The checks behind /healthz: the BullMQ worker runs and Redis answers. */
export async function healthReport(worker: Worker, redis: RedisClient) {
  const reasons: string[] = [];
  if (!worker.isRunning() || worker.closing) reasons.push('the queue worker is not running');
  try {
    await withTimeout(redis.ping(), 2_000);
  } catch (error) {
    reasons.push(`redis does not answer: ${(error as Error).message}`);
  }
  return { ok: reasons.length === 0, reasons };
}

/** /healthz (200 or 503 with reasons) and /metrics (Prometheus) on HEALTH_PORT. */
export async function startHealthServer(options: {
  port: number;
  host: string;
  worker: Worker;
  redis: RedisClient;
  metrics: WorkerMetrics;
  logger: Logger;
}): Promise<HealthServer> {
  const { worker, redis, metrics, logger } = options;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const answer = async () => {
      if (req.method === 'GET' && path === '/healthz') {
        const report = await healthReport(worker, redis);
        res.writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify(report));
        return;
      }
      if (req.method === 'GET' && path === '/metrics') {
        const body = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(body);
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, message: 'not found' }));
    };
    answer().catch((error: unknown) => {
      logger.warn({ err: error, path }, 'health request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, message: 'internal error' }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
