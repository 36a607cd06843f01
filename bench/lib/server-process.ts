import { type StdioOptions, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { appEntry } from './app-build.ts';
import { freePort } from './net.ts';
import { waitUntil } from './wait.ts';

const SERVER_DIR = fileURLToPath(new URL('../../apps/server', import.meta.url));

export interface ServerProcess {
  pid: number;
  baseUrl: string;
  /** SIGTERM, then waits for the process to exit (the server's own graceful shutdown). */
  stop(): Promise<void>;
}

/**
 * The real server in a child process on a free port, so that its memory and CPU are its own:
 * its production build unless BENCH_SERVER=tsx (app-build.ts). Resolves once /healthz
 * answers. `env` adds to (and wins over) this process's environment; the port, host, log level
 * and NODE_ENV are set here.
 */
export async function startServerProcess(
  env: Record<string, string>,
  options: { nodeArgs?: string[]; stdio?: StdioOptions } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...appEntry('server')], {
    cwd: SERVER_DIR,
    env: {
      // One address opens every socket and sends every webhook, so the per-address limits are set
      // as high as they go (a million a minute), not off: the limiters' Redis round trips stay on
      // the measured path. A benchmark's own env may set them back.
      WS_CONNECT_RATE_LIMIT_PER_IP: '1000000',
      WEBHOOK_RATE_LIMIT_PER_IP: '1000000',
      TRPC_RATE_LIMIT_PER_IP: '1000000',
      TRPC_RATE_LIMIT_PER_SESSION: '1000000',
      ...process.env,
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'development',
    },
    stdio: options.stdio ?? ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitUntil(
      () =>
        fetch(`${baseUrl}/healthz`).then(
          (res) => res.ok,
          () => false,
        ),
      60_000,
      `the server on port ${port}`,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { pid: child.pid!, baseUrl, stop };
}
