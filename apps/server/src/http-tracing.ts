import type { IncomingMessage, ServerResponse } from 'node:http';
import { extractTraceContext, inSpan, SpanKind, tracingEnabled } from '@paidflow/runtime';
import type { Route, RouteHandler } from './http.ts';

/** Resolves once the response is sent (or its connection gone). */
function responded(res: ServerResponse): Promise<void> {
  if (res.writableFinished || res.destroyed) return Promise.resolve();
  return new Promise((resolve) => res.once('close', () => resolve()));
}

/**
 * Runs a request's handling inside a SERVER span named `<method> <route>` that continues the
 * caller's `traceparent` (a root when it sent none) and ends with the response. `route` is a
 * route's own path, never the request's (a prefix route's paths carry customers' tokens).
 */
export async function withServerSpan(
  req: IncomingMessage,
  res: ServerResponse,
  route: string,
  handle: () => Promise<void> | void,
): Promise<void> {
  if (!tracingEnabled()) return handle();
  await inSpan(
    `${req.method} ${route}`,
    async (span) => {
      // A throw ends the span as failed at once: the caller's catch sends the error response.
      await handle();
      await responded(res);
      span.setAttribute('http.response.status_code', res.statusCode);
    },
    {
      kind: SpanKind.SERVER,
      parent: extractTraceContext(req.headers),
      attributes: { 'http.request.method': req.method ?? '', 'http.route': route },
    },
  );
}

/** A route whose every request is a server span (the payment webhook: where a payment's trace starts). */
export function tracedRoute(route: Route): Route {
  const handler: RouteHandler = (req, res) =>
    withServerSpan(req, res, route.path, () => route.handler(req, res));
  return { ...route, handler };
}

/**
 * tRPC over HTTP: a server span only for calls that bring a trace (the workers' reports, inside a
 * job's trace); the dashboard's queries start none, so they add no trace of their own.
 */
export function traceTrpcCall(
  req: IncomingMessage,
  res: ServerResponse,
  handle: () => void,
): Promise<void> | void {
  if (!tracingEnabled() || !req.headers.traceparent) return handle();
  const procedures = (req.url ?? '').split('?')[0]?.slice('/trpc/'.length).slice(0, 200) ?? '';
  return withServerSpan(req, res, `/trpc/${procedures}`, handle);
}
