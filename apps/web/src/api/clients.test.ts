import type { AddressInfo } from 'node:net';
import * as contracts from '@paidflow/contracts';
import { afterEach, expect, test, vi } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { createSignedInClients, SESSION_ENDED_CLOSE_CODE } from './clients.ts';

afterEach(() => {
  vi.unstubAllGlobals();
});

test("the session-ended close code is the contract's", () => {
  expect(SESSION_ENDED_CLOSE_CODE).toBe(contracts.SESSION_ENDED_CLOSE_CODE);
});

/** A socket server that closes each connection with the given code, as the server would. */
async function closingServer(code: number) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('connection', (socket) => socket.close(code, 'test'));
  const { port } = wss.address() as AddressInfo;
  return { url: `ws://127.0.0.1:${port}/trpc`, close: () => new Promise((resolve) => wss.close(resolve)) };
}

test.each([
  [SESSION_ENDED_CLOSE_CODE, 1],
  [1012, 0], // a server restart: reconnect, the session is fine
])('a socket closed with %i reports the session ended %i time(s)', async (code, expected) => {
  vi.stubGlobal('WebSocket', WebSocket);
  const server = await closingServer(code);
  const ended = vi.fn();
  const { client, wsClient } = createSignedInClients({ url: server.url, onSessionEnded: ended });
  // A subscription opens the socket; the server closes it at once.
  const subscription = client.events.firehose.subscribe(undefined, {});
  try {
    await vi.waitFor(() => expect(wsClient.connectionState.get().state).not.toBe('idle'), { timeout: 2_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ended.mock.calls.length > 0 ? 1 : 0).toBe(expected);
  } finally {
    subscription.unsubscribe();
    await wsClient.close();
    await server.close();
  }
});
