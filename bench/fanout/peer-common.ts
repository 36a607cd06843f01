import { createServer, type Server } from 'node:http';

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
}

/** The Redis channel prefix of a run, and the convention's channel from a heard one. */
export function unprefixer(prefix: string): (channel: string) => string | null {
  const head = prefix ? `${prefix}:` : '';
  return (channel) => (channel.startsWith(head) ? channel.slice(head.length) : null);
}
