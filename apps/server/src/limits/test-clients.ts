import type { IncomingHttpHeaders } from 'node:http';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import superjson from 'superjson';
import { expect } from 'vitest';
import WebSocket from 'ws';
import type { RunningServer } from '../app.ts';
import type { AppRouter } from '../trpc/routers/_app.ts';

// Test helpers of the limits' and origins' tests: real HTTP and WebSocket clients with the headers
// a browser or a proxy sends (cookie, Origin, X-Forwarded-For). Not a shipped code path.

/** Things to close after the tests (kept sockets, WebSocket clients). */
export const closers: Array<() => unknown> = [];

/** One tRPC call over plain HTTP (GET for a query, POST with `body` for a mutation). */
export async function trpcCall(
  baseUrl: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; retryAfter: string | null; code: string | undefined }> {
  const response = await fetch(`${baseUrl}/trpc/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify({ json: body }),
  });
  // superjson: the error shape is under `json`.
  const reply = (await response.json()) as { error?: { json?: { data?: { code?: string } } } };
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    code: reply.error?.json?.data?.code,
  };
}

export function expectRetryAfter(value: string | string[] | null | undefined, max = 60): void {
  expect(Number(value)).toBeGreaterThan(0);
  expect(Number(value)).toBeLessThanOrEqual(max);
}

/** A WebSocket upgrade's answer: 101 (open; closed at once unless kept) or the refusal's status. */
export function upgrade(
  server: RunningServer,
  headers: Record<string, string>,
  keep = false,
): Promise<{ status: number; headers: IncomingHttpHeaders; ws: WebSocket }> {
  const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/trpc`, { headers });
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      if (keep) closers.push(() => ws.terminate());
      else ws.close();
      resolve({ status: 101, headers: {}, ws });
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers, ws });
      res.resume();
      ws.terminate();
    });
    ws.once('error', (error) => reject(error));
  });
}

/** A tRPC client over WebSocket with extra upgrade headers (the cookie, the client's address). */
export function wsClient(server: RunningServer, headers: Record<string, string>) {
  class HeaderWebSocket extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  const client = createWSClient({
    url: `${server.url.replace(/^http/, 'ws')}/trpc`,
    WebSocket: HeaderWebSocket as unknown as typeof globalThis.WebSocket,
    retryDelayMs: () => 60_000,
  });
  closers.push(() => client.close());
  return createTRPCClient<AppRouter>({ links: [wsLink({ client, transformer: superjson })] });
}

let ipCounter = 0;

/** A client address of its own (sent as X-Forwarded-For to a server with TRUST_PROXY). */
export function nextIp(block: number): string {
  const n = ipCounter++;
  return `10.${block}.${Math.floor(n / 250)}.${(n % 250) + 1}`;
}
