import { createServer, type Server } from 'node:http';
import { CHANNEL_PATTERNS } from '@paidflow/contracts';
import { Redis } from 'ioredis';

/** What a forked peer server answers: its port once listening, its memory on request. */
export type PeerMessage = { ready: number } | { memory: { rss: number; heapUsed: number } };

export function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
}

export function plainHttpServer(): Server {
  return createServer((_req, res) => {
    res.writeHead(404);
    res.end();
  });
}

/** Answers 'memory' requests from the parent, and exits when the parent says 'stop'. */
export function servePeer(port: number, stop: () => Promise<void>): void {
  process.send?.({ ready: port } satisfies PeerMessage);
  process.on('message', (message) => {
    if (message === 'memory') {
      const { rss, heapUsed } = process.memoryUsage();
      process.send?.({ memory: { rss, heapUsed } } satisfies PeerMessage);
    }
    if (message === 'stop') void stop().finally(() => process.exit(0));
  });
  // The bench that forked this peer is gone (it failed, or was killed): nothing will ever ask it
  // to stop, and it would go on hearing every message on Redis. Stop now.
  process.once('disconnect', () => void stop().finally(() => process.exit(0)));
}

/** The Redis channel prefix of a run, and the convention's channel from a heard one. */
function unprefixer(prefix: string): (channel: string) => string | null {
  const head = prefix ? `${prefix}:` : '';
  return (channel) => (channel.startsWith(head) ? channel.slice(head.length) : null);
}

/**
 * Listens to every channel of the convention under the run's prefix (REDIS_URL and FANOUT_PREFIX
 * from the environment), handing on each message with its channel's unprefixed name. Resolves
 * once subscribed, with a function that disconnects.
 */
export async function subscribeChannels(
  onMessage: (channel: string, message: string) => void,
): Promise<() => void> {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = process.env.FANOUT_PREFIX ?? '';
  const unprefix = unprefixer(prefix);
  const subscriber = new Redis(redisUrl);
  await subscriber.psubscribe(
    ...CHANNEL_PATTERNS.map((pattern) => (prefix ? `${prefix}:${pattern}` : pattern)),
  );
  subscriber.on('pmessage', (_pattern: string, channel: string, message: string) => {
    const name = unprefix(channel);
    if (name) onMessage(name, message);
  });
  return () => subscriber.disconnect();
}
