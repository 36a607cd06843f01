import type { WebSocket } from 'ws';
import type { HubItem } from './hub.ts';

/**
 * Where our patch of tRPC's WebSocket adapter (patches/@trpc__server@11.19.0.patch) puts a
 * subscription's JSON-RPC request id: on the AbortSignal the adapter hands the procedure.
 */
const WS_REQUEST = Symbol.for('paidflow.trpc.wsRequest');

interface WsRequest {
  id: number | string;
  jsonrpc?: '2.0';
}

/** An encoded data message of one hub item, kept on the item: every subscriber shares it. */
export interface WireFrame {
  /** Everything after the request id: the same for every subscriber of the item. */
  tail: string;
  /** The last request-id prefix the frame was built for, and its bytes. */
  prefix: string;
  bytes: Buffer;
}

const SEND_TEXT = { binary: false } as const;

/**
 * The start of this subscription's data messages, `{"id":<request id>` (and jsonrpc when the
 * client sent one), or null when the stream does not run under the patched WebSocket adapter.
 */
export function wsFramePrefix(signal: AbortSignal | undefined): string | null {
  const request = (signal as { [WS_REQUEST]?: WsRequest } | undefined)?.[WS_REQUEST];
  if (request === undefined) return null;
  const jsonrpc = request.jsonrpc === undefined ? '' : `,"jsonrpc":${JSON.stringify(request.jsonrpc)}`;
  return `{"id":${JSON.stringify(request.id)}${jsonrpc}`;
}

/**
 * The data message the adapter would send for `tracked(item.id, item.event)` with the router's
 * transformer (a marked live event serializes as `{ json: value }`, plain-json.ts): byte for byte
 * `JSON.stringify({ id, jsonrpc, result: { type: 'data', data: { json: { id, data } }, id } })`.
 * The event is encoded once per hub item, not once per subscriber, and subscribers whose request
 * ids match (every browser's first subscription has id 1) share one Buffer.
 */
export function dataFrame(item: HubItem, prefix: string): Buffer {
  const wire = item.wire;
  if (wire !== undefined && wire.prefix === prefix) return wire.bytes;
  const id = JSON.stringify(item.id);
  const tail =
    wire?.tail ??
    `,"result":{"type":"data","data":{"json":{"id":${id},"data":${JSON.stringify(item.event)}}},"id":${id}}}`;
  const bytes = Buffer.from(prefix + tail);
  item.wire = { tail, prefix, bytes };
  return bytes;
}

/** Sends an item's data message on the socket as a text frame (the bytes are shared, never copied). */
export function sendDataFrame(socket: WebSocket, item: HubItem, prefix: string): void {
  socket.send(dataFrame(item, prefix), SEND_TEXT);
}
