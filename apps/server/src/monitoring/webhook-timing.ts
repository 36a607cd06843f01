import type { Histogram } from 'prom-client';
import type { Route } from '../http.ts';

/**
 * The webhook route, timed from the request's arrival until its answer is sent, by provider
 * and status code (what the dashboard's webhook rate and latency panels read).
 */
export function timedWebhookRoute(
  route: Route,
  options: { provider: string; histogram: Histogram<'provider' | 'status'> },
): Route {
  return {
    ...route,
    handler(req, res) {
      const stop = options.histogram.startTimer({ provider: options.provider });
      // 'close' comes for every request, answered or not: an abandoned one is counted as aborted.
      res.once('close', () => stop({ status: res.writableFinished ? String(res.statusCode) : 'aborted' }));
      return route.handler(req, res);
    },
  };
}
