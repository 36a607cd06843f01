import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { createTRPCClient, createWSClient, type TRPCClientError, wsLink } from '@trpc/client';
import { type AnyRouter, initTRPC, TRPCError, tracked } from '@trpc/server';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import superjson from 'superjson';
import { expect, test } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';

// The WebSocket adapter of @trpc/server 11.19.0 is patched (patches/, docs/decisions/025): its
// per-message Unpromise.race and response spreads were most of the fan-out's garbage. A lockfile
// or version change that silently drops the patch would only show in the benchmark: fail here.
test('the installed @trpc/server WebSocket adapter carries our patch, in its ESM and CJS builds', () => {
  const require = createRequire(import.meta.url);
  const dist = dirname(dirname(require.resolve('@trpc/server/adapters/ws')));
  const builds = readdirSync(dist).filter((name) => /^ws-[\w-]+\.(mjs|cjs)$/.test(name));
  expect(builds.map((name) => name.split('.').pop()).sort()).toEqual(['cjs', 'mjs']);
  for (const name of builds) {
    const source = readFileSync(join(dist, name), 'utf8');
    expect(source, name).toContain('[paidflow patch]');
    expect(source, name).not.toMatch(/Unpromise\.race\(\[iterator\.next\(\)/);
  }
});

/** A tiny router on the patched adapter, driven by the real @trpc/client over a real socket. */
async function startAdapter() {
  const t = initTRPC.create({ transformer: superjson });
  const returned: string[] = [];
  let release: (() => void) | undefined;
  /** An iterable that ignores the abort signal: only the adapter can end it (by calling return). */
  function parked(name: string): AsyncIterable<number> {
    return {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<number>>(() => {}),
        return: async () => {
          returned.push(name);
          return { done: true, value: undefined };
        },
      }),
    };
  }
  const router = t.router({
    parked: t.procedure.subscription(() => parked('parked')),
    values: t.procedure.subscription(async function* () {
      yield new Date(0);
      yield tracked('event-1', { n: 1 });
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      throw new TRPCError({ code: 'CONFLICT', message: 'stream failed' });
    }),
  });
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const handler = applyWSSHandler({ wss, router });
  const { port } = wss.address() as AddressInfo;
  const wsClient = createWSClient({ url: `ws://127.0.0.1:${port}`, WebSocket: WebSocket as never });
  const client = createTRPCClient<typeof router>({
    links: [wsLink({ client: wsClient, transformer: superjson })],
  });
  return {
    client,
    returned,
    release: () => release?.(),
    async close() {
      await wsClient.close();
      handler.broadcastReconnectNotification();
      await new Promise((resolve) => wss.close(resolve));
    },
  };
}

test('patched adapter: a stop while the iterator is parked ends it through return(), at once', async () => {
  const adapter = await startAdapter();
  try {
    const started = new Promise<void>((resolve) => {
      const sub = adapter.client.parked.subscribe(undefined, {
        onStarted: () => {
          resolve();
          setTimeout(() => sub.unsubscribe(), 20);
        },
      });
    });
    await started;
    // (The adapter's resource disposal calls return() a second time, as upstream does.)
    await expect.poll(() => adapter.returned[0], { timeout: 2_000 }).toBe('parked');
  } finally {
    await adapter.close();
  }
});

test('patched adapter: values arrive as before (transformer applied, tracked ids kept), then a thrown error', async () => {
  const adapter = await startAdapter();
  try {
    const received: unknown[] = [];
    const failed = new Promise<TRPCClientError<AnyRouter>>((resolve) => {
      adapter.client.values.subscribe(undefined, {
        onData: (value) => {
          received.push(value);
          if (received.length === 2) adapter.release();
        },
        onError: (error) => resolve(error as TRPCClientError<AnyRouter>),
      });
    });
    const error = await failed;
    expect(received[0]).toEqual(new Date(0));
    expect(received[1]).toEqual({ id: 'event-1', data: { n: 1 } });
    expect(error.message).toBe('stream failed');
    expect(error.data?.code).toBe('CONFLICT');
  } finally {
    await adapter.close();
  }
});
