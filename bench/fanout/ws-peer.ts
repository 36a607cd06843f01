// The floor: a bare `ws` server with a channel map. A client names the channels it wants; a
// message heard on Redis is forwarded as is (no parsing) to the sockets of its channel.
// Forked by fanout.ts.
import { type WebSocket, WebSocketServer } from 'ws';
import { listen, plainHttpServer, servePeer, subscribeChannels } from './peer-common.ts';

const http = plainHttpServer();
const wss = new WebSocketServer({ server: http, maxPayload: 64 * 1024 });
const channels = new Map<string, Set<WebSocket>>();

wss.on('connection', (socket) => {
  const mine: string[] = [];
  socket.on('message', (raw) => {
    try {
      const { subscribe } = JSON.parse(String(raw)) as { subscribe: string[] };
      for (const channel of subscribe) {
        const set = channels.get(channel) ?? new Set<WebSocket>();
        channels.set(channel, set);
        set.add(socket);
        mine.push(channel);
      }
      socket.send('{"subscribed":true}');
    } catch {
      socket.close(1003);
    }
  });
  socket.on('close', () => {
    for (const channel of mine) channels.get(channel)?.delete(socket);
  });
});

const unsubscribe = await subscribeChannels((name, message) => {
  const set = channels.get(name);
  if (!set) return;
  const frame = `{"c":"${name}","m":${message}}`;
  for (const socket of set) socket.send(frame);
});

const port = await listen(http);
servePeer(port, async () => {
  unsubscribe();
  for (const client of wss.clients) client.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
});
