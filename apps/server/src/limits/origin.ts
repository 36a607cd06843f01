import type { IncomingHttpHeaders } from 'node:http';
import type { ServerEnv } from '../env.ts';

/** Vite's dev server and its preview (apps/web/vite.config.ts), which proxy /trpc here. */
const DEV_WEB_PORTS = [5173, 4173];

/** An origin as browsers write it (`scheme://host[:port]`, lower case, default port dropped); null when not one. */
function normalOrigin(value: string): string | null {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : null;
  } catch {
    return null;
  }
}

/**
 * The origins a browser may open the WebSocket from: PUBLIC_BASE_URL's (the address users reach,
 * the truth behind a proxy, where the Host header is the proxy's business), plus ALLOWED_ORIGINS.
 * Unset outside production, ALLOWED_ORIGINS defaults to the loopback origins of this port and of
 * Vite's dev and preview servers, so `npm run dev` works as it is.
 */
export function allowedOrigins(
  env: Pick<ServerEnv, 'PUBLIC_BASE_URL' | 'ALLOWED_ORIGINS' | 'NODE_ENV' | 'PORT'>,
): Set<string> {
  const extra =
    env.ALLOWED_ORIGINS ??
    (env.NODE_ENV === 'production'
      ? []
      : [env.PORT, ...DEV_WEB_PORTS].flatMap((port) => [
          `http://localhost:${port}`,
          `http://127.0.0.1:${port}`,
        ]));
  const origins = new Set<string>();
  for (const value of [env.PUBLIC_BASE_URL, ...extra]) {
    const origin = normalOrigin(value);
    if (origin) origins.add(origin);
  }
  return origins;
}

export type OriginVerdict = 'allowed' | 'none' | 'refused';

/**
 * The Origin check of a WebSocket upgrade (cross-site WebSocket hijacking: a page elsewhere opening
 * a socket that the browser authenticates with the admin's cookie). Browsers always send Origin on
 * a WebSocket; a request without one comes from a non-browser client (the worker, the benchmarks,
 * tests), which no cookie rides along with by accident, so it passes and authenticates as usual.
 */
export function checkOrigin(headers: IncomingHttpHeaders, allowed: ReadonlySet<string>): OriginVerdict {
  const header = headers.origin;
  if (header === undefined) return 'none';
  const origin = normalOrigin(header);
  return origin && allowed.has(origin) ? 'allowed' : 'refused';
}
