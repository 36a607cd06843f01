// The servers under test and the publisher, each in a child process of fanout.ts.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startServerProcess } from '../lib/server-process.ts';
import { heapAfterFullGc, inspectArgs } from './inspector.ts';
import type { PeerMessage } from './peer-common.ts';
import type { PublisherReport } from './publisher.ts';

const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));

export interface RunningPeer {
  pid: number;
  baseUrl: string;
  heapUsed(): Promise<number | null>;
  /** The heap in use right after a full GC (the inspector's): what the process holds. */
  liveHeap(snapshotFile?: string): Promise<number>;
  /** The port of its inspector (heap figures, allocation sampling). */
  inspectorPort: number;
  stop(): Promise<void>;
}

/** Our real server: apps/server's main.ts in a child process, with its own database and prefix. */
export async function startTrpcPeer(env: Record<string, string>): Promise<RunningPeer> {
  const inspector = await inspectArgs();
  const server = await startServerProcess(
    { ...env, RECONCILE_INTERVAL_MS: '3600000' },
    // FANOUT_SERVER_NODE_ARGS (e.g. "--cpu-prof") profiles the server under load.
    {
      nodeArgs: [
        ...inspector.args,
        ...(process.env.FANOUT_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      ],
    },
  );
  return {
    ...server,
    inspectorPort: inspector.port,
    liveHeap: (snapshotFile) => heapAfterFullGc(inspector.port, snapshotFile),
    async heapUsed() {
      const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
      const value = /^paidflow_server_nodejs_heap_size_used_bytes (\d+(?:\.\d+)?)/m.exec(text)?.[1];
      return value ? Number(value) : null;
    },
  };
}

/** A forked peer server (socketio-peer.ts or ws-peer.ts). */
export async function startForkedPeer(file: string, env: Record<string, string>): Promise<RunningPeer> {
  const inspector = await inspectArgs();
  const child: ChildProcess = fork(`${BENCH_DIR}fanout/${file}`, [], {
    execArgv: [...inspector.args, '--import', 'tsx'],
    env: { ...process.env, ...env },
    cwd: BENCH_DIR,
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.on('message', (message: PeerMessage) => {
      if ('ready' in message) resolve(message.ready);
    });
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
  return {
    pid: child.pid!,
    baseUrl: `http://127.0.0.1:${port}`,
    inspectorPort: inspector.port,
    liveHeap: (snapshotFile) => heapAfterFullGc(inspector.port, snapshotFile),
    heapUsed: () =>
      new Promise((resolve) => {
        const onMessage = (message: PeerMessage) => {
          if (!('memory' in message)) return;
          child.off('message', onMessage);
          resolve(message.memory.heapUsed);
        };
        child.on('message', onMessage);
        child.send('memory');
      }),
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send('stop');
      await exited;
    },
  };
}

/** Our server's own view: subscribers it disconnected for lagging, and progress it coalesced. */
export async function serverCounters(baseUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return {
    serverOverflows: read('paidflow_realtime_overflows_total'),
    serverCoalesced: read('paidflow_realtime_coalesced_total'),
  };
}

export function runPublisher(config: object): Promise<PublisherReport> {
  const child = fork(`${BENCH_DIR}fanout/publisher.ts`, [], {
    execArgv: ['--import', 'tsx'],
    cwd: BENCH_DIR,
  });
  return new Promise((resolve, reject) => {
    child.once('message', (report: PublisherReport) => resolve(report));
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`publisher exited with ${code}`));
    });
    child.send(config);
  });
}
