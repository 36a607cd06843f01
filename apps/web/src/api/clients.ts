import { SESSION_ENDED_CLOSE_CODE } from '@paidflow/contracts/constants';
import type { AppRouter } from '@paidflow/server';
import { createWSClient, httpBatchLink, splitLink, type TRPCLink, wsLink } from '@trpc/client';
import superjson from 'superjson';
import { trpc } from '../trpc.ts';

/** The API's path on the same origin (the server in production, Vite's proxy in development). */
const API_PATH = '/trpc';

function wsUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss:' : 'ws:'}//${host}${API_PATH}`;
}

/** Reconnects quickly at first, then every 5 s at most: a restarted server is found soon. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(250 * 2 ** attempt, 5_000);
}

/**
 * At most 20 calls a request: under the server's batch limit (TRPC_MAX_BATCH_SIZE, 50, in
 * apps/server/src/limits/trpc.ts), and more than any page loads at once.
 */
const httpLink = () => httpBatchLink<AppRouter>({ url: API_PATH, transformer: superjson, maxItems: 20 });

/** Signed out: HTTP only (the socket needs a session, so it is not opened before sign-in). */
export function createSignedOutClient() {
  return trpc.createClient({ links: [httpLink()] });
}

/**
 * The server closes a socket with this code when its session ended (expired, or signed out in
 * another tab or on another server): the client signs in again rather than reconnect.
 */
export { SESSION_ENDED_CLOSE_CODE };

/**
 * Signed in: queries and mutations over HTTP, subscriptions over one WebSocket. The browser sends
 * the session cookie with the upgrade. One pair per session: sign-out closes the socket, and the
 * next sign-in opens a socket with the new cookie. `onSessionEnded` runs when the server ends the
 * socket's session, so the app can show the sign-in page at once instead of reconnecting in vain.
 */
export function createSignedInClients(options: { onSessionEnded?: () => void; url?: string } = {}) {
  const wsClient = createWSClient({
    url: options.url ?? wsUrl(),
    retryDelayMs: reconnectDelayMs,
    onClose: (cause) => {
      if (cause?.code === SESSION_ENDED_CLOSE_CODE) options.onSessionEnded?.();
    },
    // Finds a dead connection (server killed, network gone) within seconds, not minutes.
    keepAlive: { enabled: true, intervalMs: 5_000, pongTimeoutMs: 3_000 },
  });
  const links: TRPCLink<AppRouter>[] = [
    splitLink({
      condition: (op) => op.type === 'subscription',
      true: wsLink<AppRouter>({ client: wsClient, transformer: superjson }),
      false: httpLink(),
    }),
  ];
  return { client: trpc.createClient({ links }), wsClient };
}

export type SignedInClients = ReturnType<typeof createSignedInClients>;
