import { pingDatabase } from '@paidflow/db';
import { withTimeout } from '@paidflow/runtime';
import type { AppDeps } from './deps.ts';
import { type Route, sendJson } from './http.ts';
import type { ServerMetrics } from './metrics.ts';

async function check(run: () => Promise<unknown>): Promise<{ ok: boolean; error?: string }> {
  try {
    await withTimeout(run(), 2_000);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

/** /healthz: the process is up. /readyz: MySQL and Redis answer. /metrics: Prometheus. */
export function healthRoutes(deps: AppDeps, metrics: ServerMetrics): Route[] {
  return [
    {
      method: 'GET',
      path: '/healthz',
      handler: async (_req, res) => sendJson(res, 200, { ok: true }),
    },
    {
      method: 'GET',
      path: '/readyz',
      handler: async (_req, res) => {
        const [mysql, redis] = await Promise.all([
          check(() => pingDatabase(deps.db)),
          check(() => deps.redis.ping()),
        ]);
        const ok = mysql.ok && redis.ok;
        sendJson(res, ok ? 200 : 503, { ok, mysql, redis });
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      handler: async (_req, res) => {
        const body = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(body);
      },
    },
  ];
}
