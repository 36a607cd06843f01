import { createServer } from 'node:net';

// Imports nothing of the server app: the bench and the worker's tests use it too.

/** A TCP port free at the moment of asking, for a child server or a port nobody listens on. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
