import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AnyRouter } from '@trpc/server';
import { type CreateHTTPContextOptions, createHTTPHandler } from '@trpc/server/adapters/standalone';
import type { AppDeps } from './deps.ts';
import { AppError, HTTP_STATUS, toAppError } from './errors.ts';
import { traceTrpcCall } from './http-tracing.ts';
import { rateLimitResponseMeta } from './limits/errors.ts';
import type { RateDecision } from './limits/limiter.ts';
import { TRPC_MAX_BATCH_SIZE } from './limits/trpc.ts';
import type { ServerMetrics } from './metrics.ts';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface Route {
  method: 'GET' | 'POST';
  /** The exact path, or with `prefix`, the start (ending in '/') of every path the route takes. */
  path: string;
  /** Matches every path under `path`; metrics and logs name the route by `path` alone. */
  prefix?: boolean;
  /** A GET route that also answers HEAD (the handler sends the headers, Node drops any body). */
  head?: boolean;
  handler: RouteHandler;
  /**
   * The route's rate limit, checked before its handler: a refused request is answered 429 with
   * Retry-After (the payment provider retries it), logged by the limit and counted by status.
   */
  limit?: (req: IncomingMessage) => Promise<RateDecision>;
}

/** Finds the route of a request: exact paths first, then the longest matching prefix. */
export function routeMatcher(routes: readonly Route[]) {
  const exact = new Map<string, Route>();
  for (const route of routes) {
    if (route.prefix) continue;
    exact.set(`${route.method} ${route.path}`, route);
    if (route.head) exact.set(`HEAD ${route.path}`, route);
  }
  const prefixes = routes.filter((route) => route.prefix).sort((a, b) => b.path.length - a.path.length);
  return (method: string | undefined, path: string): Route | undefined => {
    const found = exact.get(`${method} ${path}`);
    if (found) return found;
    return prefixes.find(
      (route) =>
        (route.method === method || (route.head && method === 'HEAD')) && path.startsWith(route.path),
    );
  };
}

const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'content-security-policy':
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
};

/** The largest request body any route accepts (webhook bodies are far smaller). */
export const MAX_BODY_BYTES = 256 * 1024;

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Reads a request body up to a limit; the raw bytes are what signatures are computed over. */
export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new AppError('INVALID_INPUT', `body larger than ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new AppError('INVALID_INPUT', `body larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export interface HttpServerOptions {
  deps: AppDeps;
  metrics: ServerMetrics;
  router: AnyRouter;
  createContext: (opts: CreateHTTPContextOptions) => Promise<object>;
  routes: Route[];
  /** Serves the built SPA for everything else, when set (production). */
  fallback?: RouteHandler;
}

/** One HTTP server: tRPC at /trpc, the given routes, and the SPA (the WebSocket server attaches to it). */
export function createHttpServer(options: HttpServerOptions): http.Server {
  const { deps, metrics, routes } = options;
  const trpcHandler = createHTTPHandler({
    router: options.router,
    createContext: options.createContext,
    basePath: '/trpc/',
    maxBodySize: MAX_BODY_BYTES,
    // A larger batch is refused with 400 before createContext; each call of a batch is counted.
    maxBatchSize: TRPC_MAX_BATCH_SIZE,
    // A rate-limited call (createContext's per-request limits, sign-in) carries its Retry-After.
    responseMeta: rateLimitResponseMeta,
  });
  const match = routeMatcher(routes);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = match(req.method, path);
    if (route) {
      const decision = route.limit ? await route.limit(req) : null;
      if (decision && !decision.allowed) {
        res.setHeader('retry-after', String(decision.retryAfterSeconds));
        return sendJson(res, 429, { success: false, message: 'too many requests; retry later' });
      }
      return route.handler(req, res);
    }
    if (path === '/trpc' || path.startsWith('/trpc/'))
      return traceTrpcCall(req, res, () => trpcHandler(req, res));
    if (options.fallback && req.method === 'GET') return options.fallback(req, res);
    sendJson(res, 404, { success: false, message: 'not found' });
  }

  return http.createServer((req, res) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    // A route's own path, never the request's: a prefix route's paths carry customers' tokens.
    const route = path.startsWith('/trpc/') ? '/trpc' : (match(req.method, path)?.path ?? 'other');
    const stopTimer = metrics.httpDuration.startTimer({ route });
    res.on('finish', () => {
      stopTimer();
      metrics.httpRequests.inc({ route, status: String(res.statusCode) });
    });
    handle(req, res).catch((error: unknown) => {
      const mapped = toAppError(error);
      if (mapped) {
        deps.logger.info({ route, code: mapped.code, message: mapped.message }, 'request rejected');
        if (!res.headersSent)
          sendJson(res, HTTP_STATUS[mapped.code], { success: false, message: mapped.message });
        return;
      }
      deps.logger.error({ err: error, route }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { success: false, message: 'internal error' });
      else res.destroy();
    });
  });
}
