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

const httpLink = () => httpBatchLink<AppRouter>({ url: API_PATH, transformer: superjson });

/** Signed out: HTTP only (the socket needs a session, so it is not opened before sign-in). */
export function createSignedOutClient() {
  return trpc.createClient({ links: [httpLink()] });
}

/**
 * Signed in: queries and mutations over HTTP, subscriptions over one WebSocket. The browser sends
 * the session cookie with the upgrade. One pair per session: sign-out closes the socket, and the
 * next sign-in opens a socket with the new cookie.
 */
export function createSignedInClients() {
  const wsClient = createWSClient({
    url: wsUrl(),
    retryDelayMs: reconnectDelayMs,
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
