// The seeds' design, as a peer: a Socket.IO server that relays the same Redis messages to rooms
// (one room per order; task messages go to their order's room). Forked by fanout.ts.
import { CHANNEL_PATTERNS } from '@paidflow/contracts';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { listen, plainHttpServer, servePeer, unprefixer } from './peer-common.ts';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = process.env.FANOUT_PREFIX ?? '';
const http = plainHttpServer();
const io = new Server(http, { transports: ['websocket'], serveClient: false });
io.on('connection', (socket) => {
  socket.on('subscribe', (orderId: number, ack?: (ok: boolean) => void) => {
    void socket.join(`order:${orderId}`);
    ack?.(true);
  });
});

const unprefix = unprefixer(prefix);
const subscriber = new Redis(redisUrl);
await subscriber.psubscribe(
  ...CHANNEL_PATTERNS.map((pattern) => (prefix ? `${prefix}:${pattern}` : pattern)),
);
subscriber.on('pmessage', (_pattern: string, channel: string, message: string) => {
  const name = unprefix(channel);
  if (!name) return;
  const [scope, , type] = name.split(':');
  let data: { orderId?: number };
  try {
    data = JSON.parse(message) as { orderId?: number };
  } catch {
    return;
  }
  if (typeof data.orderId !== 'number') return;
  io.to(`order:${data.orderId}`).emit(`${scope}:${type}`, data);
});

const port = await listen(http);
servePeer(port, async () => {
  subscriber.disconnect();
  await new Promise<void>((resolve) => io.close(() => resolve()));
});
