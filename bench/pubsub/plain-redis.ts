import { type ChildProcess, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from '../lib/net.ts';
import { waitUntil } from '../lib/wait.ts';

export interface PlainRedis {
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** One redis-server of the bench's own (not a cluster node) on a spare port, nothing on disk. */
export async function startPlainRedis(dir: string): Promise<PlainRedis> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitUntil(
    async () => {
      const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
      redis.on('error', () => {});
      try {
        await redis.connect();
        return (await redis.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        redis.disconnect();
      }
    },
    10_000,
    `redis-server on ${port}`,
  );
  return {
    port,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
