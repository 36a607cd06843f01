import type { LiveEvent } from '@paidflow/contracts';
import {
  createTRPCClient,
  createWSClient,
  httpLink,
  splitLink,
  type TRPCClientError,
  type TRPCWebSocketClient,
  wsLink,
} from '@trpc/client';
import superjson from 'superjson';
import WebSocket from 'ws';
import type { AppRouter } from '../trpc/routers/_app.ts';

/** Test helpers: the real @trpc/client over WebSocket (and HTTP), authenticated by a cookie. */

/** A `ws` WebSocket that sends the session cookie with its upgrade request, as a browser does. */
export function cookieWebSocket(cookie: string | null): typeof globalThis.WebSocket {
  class CookieWebSocket extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers: cookie ? { cookie } : {} });
    }
  }
  return CookieWebSocket as unknown as typeof globalThis.WebSocket;
}

export interface LiveClient {
  client: ReturnType<typeof createTRPCClient<AppRouter>>;
  wsClient: TRPCWebSocketClient;
  close(): Promise<void>;
}

/**
 * A tRPC client like the web app's: subscriptions over WebSocket, everything else over HTTP
 * (or everything over WebSocket with `allOverWebSocket`).
 */
export function liveClient(
  baseUrl: string,
  cookie: string | null,
  options: { allOverWebSocket?: boolean; retryDelayMs?: number; onClose?: (code?: number) => void } = {},
): LiveClient {
  const wsClient = createWSClient({
    url: `${baseUrl.replace(/^http/, 'ws')}/trpc`,
    WebSocket: cookieWebSocket(cookie),
    retryDelayMs: () => options.retryDelayMs ?? 100,
    onClose: (cause) => options.onClose?.(cause?.code),
  });
  const ws = wsLink<AppRouter>({ client: wsClient, transformer: superjson });
  const http = httpLink<AppRouter>({
    url: `${baseUrl}/trpc`,
    transformer: superjson,
    headers: cookie ? { cookie } : {},
  });
  const client = createTRPCClient<AppRouter>({
    links: [
      options.allOverWebSocket
        ? ws
        : splitLink({ condition: (op) => op.type === 'subscription', true: ws, false: http }),
    ],
  });
  return { client, wsClient, close: () => wsClient.close() };
}

export interface Collected {
  /** Every event, with the updates of a batch message listed one by one (under the batch's id). */
  events: Array<{ id: string; data: Exclude<LiveEvent, { kind: 'batch' }> }>;
  /** The messages as received (a batch stays one). */
  messages: Array<{ id: string; data: LiveEvent }>;
  errors: TRPCClientError<AppRouter>[];
  unsubscribe(): void;
}

/** Collects what a subscription yields (tracked: { id, data }). */
export function collect(
  subscribe: (handlers: {
    onData: (value: { id: string; data: LiveEvent }) => void;
    onError: (error: TRPCClientError<AppRouter>) => void;
  }) => { unsubscribe(): void },
): Collected {
  const collected: Collected = { events: [], messages: [], errors: [], unsubscribe: () => {} };
  const subscription = subscribe({
    onData: (value) => {
      collected.messages.push(value);
      if (value.data.kind !== 'batch') collected.events.push({ id: value.id, data: value.data });
      else for (const update of value.data.events) collected.events.push({ id: value.id, data: update });
    },
    onError: (error) => collected.errors.push(error),
  });
  collected.unsubscribe = () => subscription.unsubscribe();
  return collected;
}

/**
 * Subscribes a raw `ws` socket to events.order the way @trpc/client's wsLink does on the wire
 * (for tests of clients that misbehave: never reading, never answering pings).
 */
export function sendOrderSubscription(socket: WebSocket, orderId: number, id = 1): void {
  socket.send(
    JSON.stringify({
      id,
      method: 'subscription',
      params: { path: 'events.order', input: { json: { orderId } } },
    }),
  );
}
