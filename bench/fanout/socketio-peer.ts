// The seeds' design, as a peer: a Socket.IO server that relays the same Redis messages to rooms
// (one room per order; task messages go to their order's room). Forked by fanout.ts.
import { Server } from 'socket.io';
import { listen, plainHttpServer, servePeer, subscribeChannels } from './peer-common.ts';

const http = plainHttpServer();
const io = new Server(http, { transports: ['websocket'], serveClient: false });
io.on('connection', (socket) => {
  socket.on('subscribe', (orderId: number, ack?: (ok: boolean) => void) => {
    void socket.join(`order:${orderId}`);
    ack?.(true);
  });
});

const unsubscribe = await subscribeChannels((name, message) => {
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
  unsubscribe();
  await new Promise<void>((resolve) => io.close(() => resolve()));
});
