import { cookieWebSocket } from '@paidflow/server/testing';
import { createTRPCUntypedClient, createWSClient, type TRPCWebSocketClient, wsLink } from '@trpc/client';
import type { AnyRouter } from '@trpc/server';
import { io, type Socket } from 'socket.io-client';
import superjson from 'superjson';
import WebSocket from 'ws';
import type { Recorder } from './recorder.ts';

export interface ClientPlan {
  baseUrl: string;
  /** The order each client watches, and that order's tasks. */
  orderOf: (client: number) => { orderId: number; taskIds: number[] };
  cookies: string[];
  recorder: Recorder;
}

export type Closer = () => Promise<void> | void;

type ProgressData = { taskId: number; bytesDone: number; bytesTotal: number };
type StatusData = { timestamp: number };
type LiveMessage = { kind: string; data?: unknown; events?: LiveMessage[] };

/** The real @trpc/client over WebSocket, one connection per client, subscribed to events.order. */
export function trpcClient(plan: ClientPlan, index: number): Closer {
  const wsClient: TRPCWebSocketClient = createWSClient({
    url: `${plan.baseUrl.replace(/^http/, 'ws')}/trpc`,
    WebSocket: cookieWebSocket(plan.cookies[index]!),
    retryDelayMs: () => 500,
  });
  const client = createTRPCUntypedClient<AnyRouter>({
    links: [wsLink({ client: wsClient, transformer: superjson })],
  });
  const { orderId } = plan.orderOf(index);
  const recorder = plan.recorder;
  const onUpdate = (update: LiveMessage) => {
    if (update.kind === 'task.progress') recorder.progress(index, update.data as ProgressData);
    else if (update.kind === 'task.status') recorder.status(index, update.data as StatusData);
    else if (update.kind === 'order.complete') recorder.complete(index);
    else if (update.kind === 'order.progress') recorder.orderProgressReceived++;
  };
  const subscription = client.subscription(
    'events.order',
    { orderId },
    {
      onData(value) {
        const event = (value as { data: LiveMessage }).data;
        if (event.kind === 'batch') for (const update of event.events ?? []) onUpdate(update);
        else if (event.kind === 'snapshot') {
          if (recorder.ready[index]) recorder.resyncs++;
          recorder.ready[index] = true;
        } else onUpdate(event);
      },
      onError(error) {
        console.error(`[fanout] trpc client ${index}: ${error.message}`);
      },
    },
  );
  return async () => {
    subscription.unsubscribe();
    await wsClient.close();
  };
}

/** A socket.io-client joined to its order's room (the seeds' design). */
export function socketIoClient(plan: ClientPlan, index: number): Closer {
  const socket: Socket = io(plan.baseUrl, { transports: ['websocket'], forceNew: true, reconnection: false });
  const { orderId } = plan.orderOf(index);
  const recorder = plan.recorder;
  socket.on('connect', () => {
    socket.emit('subscribe', orderId, () => {
      recorder.ready[index] = true;
    });
  });
  socket.on('task:progress', (data: ProgressData) => recorder.progress(index, data));
  socket.on('task:status', (data: StatusData) => recorder.status(index, data));
  socket.on('order:complete', () => recorder.complete(index));
  return () => {
    socket.disconnect();
  };
}

/** A bare ws client naming its channels (the floor). */
export function bareWsClient(plan: ClientPlan, index: number): Closer {
  const socket = new WebSocket(plan.baseUrl.replace(/^http/, 'ws'));
  const { orderId, taskIds } = plan.orderOf(index);
  const recorder = plan.recorder;
  socket.on('open', () => {
    const channels = [
      `order:${orderId}:complete`,
      ...taskIds.flatMap((id) => [`task:${id}:progress`, `task:${id}:status`]),
    ];
    socket.send(JSON.stringify({ subscribe: channels }));
  });
  socket.on('message', (raw) => {
    const frame = JSON.parse(String(raw)) as { c?: string; m?: unknown; subscribed?: boolean };
    if (frame.subscribed) {
      recorder.ready[index] = true;
      return;
    }
    const channel = frame.c ?? '';
    if (channel.endsWith(':progress')) recorder.progress(index, frame.m as ProgressData);
    else if (channel.endsWith(':status')) recorder.status(index, frame.m as StatusData);
    else if (channel.endsWith(':complete')) recorder.complete(index);
  });
  socket.on('error', (error) => console.error(`[fanout] ws client ${index}: ${error.message}`));
  return () => {
    socket.terminate();
  };
}
