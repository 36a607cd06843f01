import { EnvList } from '@paidflow/contracts';
import { z } from 'zod';

/** A count per window; 0 turns the limit off. */
const Count = (fallback: number) => z.coerce.number().int().min(0).max(1_000_000).default(fallback);

/**
 * The doors' settings: every rate limit (requests per window, per client, shared by every server
 * process through Redis; 0 turns one off) and the origins a browser may open a WebSocket from.
 * Spread into the server's Env. docs/security.md has the table.
 */
export const LimitsEnv = {
  /** tRPC calls over HTTP (each call of a batch) per client address per minute (not the worker's). */
  TRPC_RATE_LIMIT_PER_IP: Count(3_000),
  /** tRPC calls per admin session per minute: each call of an HTTP batch, and WebSocket queries. */
  TRPC_RATE_LIMIT_PER_SESSION: Count(600),
  /** WebSocket connection attempts per client address per minute. */
  WS_CONNECT_RATE_LIMIT_PER_IP: Count(600),
  /** WebSockets open at once per admin session, across every server process. */
  WS_SOCKETS_PER_SESSION: Count(20),
  /** Subscriptions started per admin session per minute. */
  WS_SUBSCRIBE_RATE_LIMIT_PER_SESSION: Count(600),
  /** Payment webhook deliveries per source address per minute (generous: answered 429, retried). */
  WEBHOOK_RATE_LIMIT_PER_IP: Count(6_000),
  /** Requests per minute per client address on /d/ (the customers' download links). */
  DELIVERY_RATE_LIMIT: Count(120),
  /** Sign-in attempts per e-mail per 15 minutes (a successful sign-in clears the count). */
  LOGIN_RATE_LIMIT_PER_EMAIL: Count(5),
  /** Sign-in attempts per client address per 15 minutes. */
  LOGIN_RATE_LIMIT_PER_IP: Count(20),
  /**
   * Browser origins, besides PUBLIC_BASE_URL's, that may open the WebSocket (comma list). Unset
   * outside production: the loopback origins of this port and of Vite's dev and preview servers.
   */
  ALLOWED_ORIGINS: EnvList.pipe(z.array(z.url({ protocol: /^https?$/ }))).optional(),
};
