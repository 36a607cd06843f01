import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';

/** One `redis-server` child of a test cluster. */
export interface RedisNodeProcess {
  port: number;
  busPort: number;
  child: ChildProcess;
  exited: Promise<void>;
  logFile: string;
}

/** Every child still running, in this process: killed on exit so that no test leaves one behind. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** Ports handed out by this process, so that two nodes never get the same probe result. */
const handedOut = new Set<number>();

/** A port nothing listens on now (bind port 0, read it, close). */
function probeFreePort(port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const found = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(found));
    });
  });
}

/**
 * A free client port and a free cluster-bus port. Redis uses port + 10000 for the bus unless told
 * otherwise; we pick port + 10000 when it is free and tell the node explicitly (`--cluster-port`),
 * else another free port, so a client port above 55535 still works.
 */
export async function freePortPair(): Promise<{ port: number; busPort: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await probeFreePort();
    if (handedOut.has(port)) continue;
    let busPort = 0;
    if (port + 10000 <= 65535 && !handedOut.has(port + 10000)) {
      busPort = await probeFreePort(port + 10000).catch(() => 0);
    }
    if (busPort === 0) busPort = await probeFreePort();
    if (handedOut.has(busPort) || busPort === port) continue;
    handedOut.add(port);
    handedOut.add(busPort);
    return { port, busPort };
  }
  throw new Error('no free port pair found for a Redis Cluster node');
}

/** The flags of one node: cluster mode, short timeouts, nothing written to disk but its config. */
export function nodeArgs(dir: string, port: number, busPort: number): string[] {
  return [
    ...['--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'no'],
    ...['--daemonize', 'no', '--dir', dir, '--logfile', path.join(dir, `redis-${port}.log`)],
    ...['--save', '', '--appendonly', 'no'],
    ...['--cluster-enabled', 'yes', '--cluster-port', String(busPort)],
    ...['--cluster-config-file', path.join(dir, `nodes-${port}.conf`)],
    // Short, so that a killed master is voted out in a few seconds.
    ...['--cluster-node-timeout', '2000'],
    // A replica may always take over, however long it was cut off from its master.
    ...['--cluster-replica-validity-factor', '0'],
    // Replicas stay where `--cluster create` put them: failover tests know who backs whom.
    ...['--cluster-allow-replica-migration', 'no'],
  ];
}

/** Starts one node (not daemonized) and resolves once it answers PING. */
export async function startNode(dir: string): Promise<RedisNodeProcess> {
  installExitHook();
  const { port, busPort } = await freePortPair();
  const child = spawn('redis-server', nodeArgs(dir, port, busPort), { stdio: 'ignore' });
  live.add(child);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      live.delete(child);
      resolve();
    });
  });
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
    live.delete(child);
  });
  const node = { port, busPort, child, exited, logFile: path.join(dir, `redis-${port}.log`) };
  await waitUntil(
    `redis-server on port ${port} to answer PING`,
    async () => {
      if (spawnError) throw spawnError;
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`redis-server on port ${port} exited early:\n${await logTail(node)}`);
      }
      return (await nodeCommand(port, 'PING').catch(() => '')) === 'PONG';
    },
    10_000,
  );
  return node;
}

/** Sends one command to one node on a fresh connection, no retries (a dead node fails fast). */
export async function nodeCommand(port: number, ...args: Array<string | number>): Promise<string> {
  const redis = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    connectTimeout: 1000,
    commandTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // A refused connection is an answer here, not noise for the test's console.
  redis.on('error', () => {});
  try {
    await redis.connect();
    const [command, ...rest] = args;
    const reply = await redis.call(String(command), ...rest);
    return String(reply);
  } finally {
    redis.disconnect();
  }
}

/** Kills one node and waits for it to be gone. */
export async function killNode(node: RedisNodeProcess, signal: NodeJS.Signals): Promise<void> {
  if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill(signal);
  await node.exited;
}

/** The end of a node's log, for error messages. */
export async function logTail(node: RedisNodeProcess, lines = 20): Promise<string> {
  const text = await readFile(node.logFile, 'utf8').catch(() => '(no log)');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Polls `check` every 100 ms until it returns true; a thrown error stops at once. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const result = await check();
    if (result) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
