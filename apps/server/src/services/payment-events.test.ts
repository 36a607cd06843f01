import { type PaymentLiveEvent, redisNamespace } from '@paidflow/contracts';
import { createLogger } from '@paidflow/runtime';
import { Registry } from 'prom-client';
import { afterEach, expect, test } from 'vitest';
import { createRealtimeHub, type HubItem, RESYNC, type RealtimeHub } from '../realtime/hub.ts';
import { createRealtimeMetrics } from '../realtime/metrics.ts';
import { paymentLiveStream } from './payment-events.ts';

// The hub is fed through handleMessage (what its subscriber connection calls); the whole path
// through Redis and the WebSocket is in trpc/routers/payments.int.test.ts.
let hub: RealtimeHub | undefined;
afterEach(async () => {
  await hub?.stop();
});

function setup() {
  hub = createRealtimeHub({
    redis: { url: 'redis://127.0.0.1:6379' },
    namespace: redisNamespace('p1'),
    logger: createLogger('silent'),
    metrics: createRealtimeMetrics(new Registry()),
  });
  return hub;
}

function payment(transactionId: number, status = 'unmatched') {
  return JSON.stringify({
    transactionId,
    orderId: null,
    previousStatus: 'received',
    status,
    amount: 150_000,
    timestamp: Date.now(),
  });
}

async function take(stream: AsyncGenerator<PaymentLiveEvent>, n: number): Promise<PaymentLiveEvent[]> {
  const got: PaymentLiveEvent[] = [];
  while (got.length < n) {
    const next = await stream.next();
    if (next.done) break;
    got.push(next.value);
  }
  return got;
}

test("a payment message reaches the payment listeners only: no order's, task's or firehose's", () => {
  const hub = setup();
  const others: HubItem[] = [];
  const record = (item: HubItem | typeof RESYNC) => {
    if (item !== RESYNC) others.push(item);
  };
  hub.subscribe({ kind: 'firehose' }, record);
  hub.subscribe({ kind: 'order', id: 5 }, record);
  const heard: unknown[] = [];
  const stop = hub.onPayment((item) => heard.push(item));
  hub.handleMessage('p1:payment:5:status', payment(5));
  expect(heard).toMatchObject([{ transactionId: 5, status: 'unmatched' }]);
  expect(others).toEqual([]);
  // A malformed one is dropped; after unsubscribing nothing more arrives.
  hub.handleMessage('p1:payment:5:status', payment(6));
  hub.handleMessage('p1:payment:5:status', '{');
  stop();
  hub.handleMessage('p1:payment:7:status', payment(7));
  expect(heard).toHaveLength(1);
});

test('payments.live starts with ready, then yields each payment event in order', async () => {
  const hub = setup();
  const controller = new AbortController();
  const stream = paymentLiveStream({ hub, signal: controller.signal });
  expect(await take(stream, 1)).toEqual([{ kind: 'ready' }]);
  hub.handleMessage('p1:payment:1:status', payment(1));
  hub.handleMessage('p1:payment:2:status', payment(2, 'underpaid'));
  const events = await take(stream, 2);
  expect(
    events.map((event) => (event.kind === 'payment.status' ? event.data.transactionId : event.kind)),
  ).toEqual([1, 2]);
  controller.abort();
  expect(await stream.next()).toEqual({ done: true, value: undefined });
});

test('a subscriber that falls behind gets one resync instead of what piled up', async () => {
  const hub = setup();
  const controller = new AbortController();
  const stream = paymentLiveStream({ hub, signal: controller.signal, limit: 3 });
  await take(stream, 1);
  for (let id = 1; id <= 5; id++) hub.handleMessage(`p1:payment:${id}:status`, payment(id));
  // Three piled up, the fourth collapsed them into one resync, the fifth followed it.
  const events = await take(stream, 2);
  expect(events[0]).toEqual({ kind: 'resync' });
  expect(events[1]).toMatchObject({ kind: 'payment.status', data: { transactionId: 5 } });
  controller.abort();
  await stream.return(undefined);
});
