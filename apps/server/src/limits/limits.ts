import type { ServerEnv } from '../env.ts';
import { createRateLimit, type LimiterDeps, type RateLimit } from './limiter.ts';
import { createSocketLeases, type SocketLeases } from './socket-leases.ts';

const MINUTE = 60;
/** The sign-in window (a guesser waits this long after the limit). */
export const LOGIN_WINDOW_SECONDS = 15 * 60;

/** Every door's limit, built once per process (app.ts) on the app's Redis connection. */
export interface Limits {
  /** tRPC calls over HTTP (each call of a batch), per client address. */
  trpcIp: RateLimit;
  /** tRPC calls over HTTP and WebSocket queries/mutations, per admin session (the cookie's token hash). */
  trpcSession: RateLimit;
  /** WebSocket connection attempts, per client address. */
  wsConnectIp: RateLimit;
  /** WebSockets open at once, per admin session. */
  wsSockets: SocketLeases;
  /** Subscriptions started, per admin session. */
  wsSubscribe: RateLimit;
  /** The payment webhook, per source address. */
  webhookIp: RateLimit;
  /** The customers' download links (/d/), per client address. */
  delivery: RateLimit;
  /** Sign-in attempts per e-mail; fails closed. */
  loginEmail: RateLimit;
  /** Sign-in attempts per client address; fails closed. */
  loginIp: RateLimit;
  /** Stops the socket leases' renewal timer. */
  close(): void;
}

export function createLimits(deps: LimiterDeps & { env: ServerEnv }): Limits {
  const { env } = deps;
  const limit = (name: string, points: number, windowSeconds = MINUTE) =>
    createRateLimit(deps, { name, points, windowSeconds });
  // Sign-in fails closed: a Redis outage must not open the door to unlimited password guessing.
  const login = (name: string, points: number) =>
    createRateLimit(deps, {
      name,
      points,
      windowSeconds: LOGIN_WINDOW_SECONDS,
      whenRedisDown: 'closed',
      unavailableMessage: 'sign-in is unavailable right now; try again shortly',
    });
  const wsSockets = createSocketLeases(deps, env.WS_SOCKETS_PER_SESSION);
  return {
    trpcIp: limit('trpc-ip', env.TRPC_RATE_LIMIT_PER_IP),
    trpcSession: limit('trpc-session', env.TRPC_RATE_LIMIT_PER_SESSION),
    wsConnectIp: limit('ws-connect-ip', env.WS_CONNECT_RATE_LIMIT_PER_IP),
    wsSockets,
    wsSubscribe: limit('ws-subscribe', env.WS_SUBSCRIBE_RATE_LIMIT_PER_SESSION),
    webhookIp: limit('webhook-ip', env.WEBHOOK_RATE_LIMIT_PER_IP),
    delivery: limit('delivery', env.DELIVERY_RATE_LIMIT),
    loginEmail: login('login-email', env.LOGIN_RATE_LIMIT_PER_EMAIL),
    loginIp: login('login-ip', env.LOGIN_RATE_LIMIT_PER_IP),
    close: () => wsSockets.close(),
  };
}
