import superjson from 'superjson';
import { expect, test } from 'vitest';
import { dataFrame, wsFramePrefix } from './direct-send.ts';
import type { HubItem } from './hub.ts';
import { markPlainJson, withPlainJsonFastPath } from './plain-json.ts';

const WS_REQUEST = Symbol.for('paidflow.trpc.wsRequest');

function signalOf(request: { id: number | string; jsonrpc?: '2.0' }): AbortSignal {
  const signal = new AbortController().signal;
  Object.assign(signal, { [WS_REQUEST]: request });
  return signal;
}

function item(): HubItem {
  const event = markPlainJson({
    kind: 'task.progress',
    data: { taskId: 5, orderId: 2, percent: 41.5, currentFile: 'ünïcode "quoted".mp4', timestamp: 1 },
  } as unknown as HubItem['event']);
  return { id: 'abc-7', event, coalesceKey: 'task:5' };
}

/** What the patched adapter's sendNext sends for tracked(item.id, item.event). */
function adapterFrame(request: { id: number | string; jsonrpc?: '2.0' }, hubItem: HubItem): string {
  const transformer = withPlainJsonFastPath(superjson);
  return JSON.stringify({
    id: request.id,
    jsonrpc: request.jsonrpc,
    result: {
      type: 'data',
      data: transformer.serialize({ id: hubItem.id, data: hubItem.event }),
      id: hubItem.id,
    },
  });
}

test('a data frame sent directly is byte for byte what the adapter sends, for any request id', () => {
  for (const request of [{ id: 1 }, { id: 42, jsonrpc: '2.0' as const }, { id: 'x"y' }]) {
    const hubItem = item();
    const prefix = wsFramePrefix(signalOf(request));
    expect(prefix).not.toBeNull();
    expect(dataFrame(hubItem, prefix!).toString('utf8')).toBe(adapterFrame(request, hubItem));
  }
});

test('subscribers with the same request id share one encoded buffer; another id gets its own', () => {
  const hubItem = item();
  const one = dataFrame(hubItem, wsFramePrefix(signalOf({ id: 1 }))!);
  expect(dataFrame(hubItem, wsFramePrefix(signalOf({ id: 1 }))!)).toBe(one);
  const other = dataFrame(hubItem, wsFramePrefix(signalOf({ id: 3 }))!);
  expect(other).not.toBe(one);
  expect(JSON.parse(other.toString()).id).toBe(3);
});

test('no prefix outside the patched WebSocket adapter', () => {
  expect(wsFramePrefix(undefined)).toBeNull();
  expect(wsFramePrefix(new AbortController().signal)).toBeNull();
});
