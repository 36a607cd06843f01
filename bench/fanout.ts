// npm run bench -- fanout [--seconds 20] [--clients 1000] [--orders 1000] [--tasks 1000]
//                         [--rate 5000] [--status-rate 100] [--complete-rate 10] [--peers trpc,socketio,ws]
// One publisher emits `rate` progress messages per second over `tasks` tasks (plus status and
// completion events at lower rates) on Redis, while `clients` WebSocket clients each watch one
// order, through three servers in turn under the same load:
//   trpc      our real server (apps/server main.ts: Redis psubscribe hub -> tRPC events.order), real sessions
//   socketio  a Socket.IO server relaying the same Redis messages to rooms (the seeds' design)
//   ws        a bare `ws` server with a channel map (the floor)
// Each server runs in a child process, so its memory (RSS from /proc) and CPU are its own; the
// clients and the publisher run in other processes. Prints a table, then one JSON line last.
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createTestDatabase } from '@paidflow/db/testing';
import { deleteRedisPrefix } from '@paidflow/server/testing';
import { bareWsClient, type ClientPlan, type Closer, socketIoClient, trpcClient } from './fanout/clients.ts';
import type { PeerMessage } from './fanout/peer-common.ts';
import { cpuSecondsOf, rssOf } from './fanout/proc.ts';
import type { PublisherReport } from './fanout/publisher.ts';
import { Recorder } from './fanout/recorder.ts';
import { createTopology } from './fanout/setup.ts';
import { printReport, progressLog } from './lib/report.ts';
import { startServerProcess } from './lib/server-process.ts';
import { sleep, waitUntil } from './lib/wait.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    seconds: { type: 'string', default: '20' },
    clients: { type: 'string', default: '1000' },
    orders: { type: 'string', default: '1000' },
    tasks: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '5000' },
    'status-rate': { type: 'string', default: '100' },
    'complete-rate': { type: 'string', default: '10' },
    peers: { type: 'string', default: 'trpc,socketio,ws' },
  },
});
const SECONDS = Number(values.seconds);
const CLIENTS = Number(values.clients);
const ORDERS = Number(values.orders);
const TASKS_PER_ORDER = Math.max(1, Math.round(Number(values.tasks) / ORDERS));
const RATE = Number(values.rate);
const STATUS_RATE = Number(values['status-rate']);
const COMPLETE_RATE = Number(values['complete-rate']);
const PEERS = values.peers.split(',').map((peer) => peer.trim()) as Array<'trpc' | 'socketio' | 'ws'>;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const log = progressLog('fanout');

interface RunningPeer {
  pid: number;
  baseUrl: string;
  heapUsed(): Promise<number | null>;
  stop(): Promise<void>;
}

/** Our real server: apps/server's main.ts in a child process, with its own database and prefix. */
async function startTrpcPeer(env: Record<string, string>): Promise<RunningPeer> {
  const server = await startServerProcess(
    { ...env, RECONCILE_INTERVAL_MS: '3600000' },
    // FANOUT_SERVER_NODE_ARGS (e.g. "--cpu-prof") profiles the server under load.
    { nodeArgs: process.env.FANOUT_SERVER_NODE_ARGS?.split(' ').filter(Boolean) },
  );
  return {
    ...server,
    async heapUsed() {
      const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
      const value = /^paidflow_server_nodejs_heap_size_used_bytes (\d+(?:\.\d+)?)/m.exec(text)?.[1];
      return value ? Number(value) : null;
    },
  };
}

/** A forked peer server (socketio-peer.ts or ws-peer.ts). */
async function startForkedPeer(file: string, env: Record<string, string>): Promise<RunningPeer> {
  const child: ChildProcess = fork(`${BENCH_DIR}fanout/${file}`, [], {
    execArgv: ['--import', 'tsx'],
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
async function serverCounters(baseUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return {
    serverOverflows: read('paidflow_realtime_overflows_total'),
    serverCoalesced: read('paidflow_realtime_coalesced_total'),
  };
}

function runPublisher(config: object): Promise<PublisherReport> {
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

const prefix = `bench-${randomUUID()}`;
const tdb = await createTestDatabase('fanout');
log(`database ${tdb.name}, Redis prefix ${prefix}`);
const topology = await createTopology(tdb.db, {
  orders: ORDERS,
  tasksPerOrder: TASKS_PER_ORDER,
  clients: CLIENTS,
});
const orderOf = (client: number) => topology.orders[client % topology.orders.length]!;
log(
  `${ORDERS} orders x ${TASKS_PER_ORDER} tasks, ${CLIENTS} clients (${CLIENTS / ORDERS} per order), ${RATE} progress/s`,
);

const CLIENT_FACTORIES = { trpc: trpcClient, socketio: socketIoClient, ws: bareWsClient } as const;
const results: Array<Record<string, number | string | null>> = [];

for (const peerName of PEERS) {
  log(`--- ${peerName}`);
  const peerEnv = { REDIS_URL, FANOUT_PREFIX: prefix, REDIS_PREFIX: prefix, DATABASE_URL: tdb.url };
  const peer =
    peerName === 'trpc'
      ? await startTrpcPeer(peerEnv)
      : await startForkedPeer(peerName === 'socketio' ? 'socketio-peer.ts' : 'ws-peer.ts', peerEnv);
  await sleep(1500);
  const rssIdle = rssOf(peer.pid);
  const heapIdle = await peer.heapUsed();
  const epochMs = Date.now();
  const recorder = new Recorder(CLIENTS, epochMs);
  const plan: ClientPlan = { baseUrl: peer.baseUrl, orderOf, cookies: topology.cookies, recorder };
  const closers: Closer[] = [];
  const connectStart = performance.now();
  for (let i = 0; i < CLIENTS; i++) {
    closers.push(CLIENT_FACTORIES[peerName](plan, i));
    // Open connections in small bursts, as browsers arrive, not all in one tick.
    if (i % 50 === 49) await waitUntil(() => recorder.readyCount() >= i - 100, 60_000, 'clients');
  }
  await waitUntil(() => recorder.readyCount() === CLIENTS, 120_000, `${peerName} clients ready`);
  const connectSeconds = (performance.now() - connectStart) / 1000;
  await sleep(2000);
  const rssConnected = rssOf(peer.pid);
  const heapConnected = await peer.heapUsed();
  recorder.loopDelay.enable();
  const cpuBefore = cpuSecondsOf(peer.pid);
  const report = await runPublisher({
    redisUrl: REDIS_URL,
    prefix,
    epochMs,
    seconds: SECONDS,
    rate: RATE,
    statusRate: STATUS_RATE,
    completeRate: COMPLETE_RATE,
    orders: topology.orders,
  });
  // Let what is in flight arrive: wait until deliveries stop for a second (at most 60 s), so that
  // "lost" below means never delivered, not late.
  const publishEnd = performance.now();
  for (let last = -1; recorder.totalReceived() !== last && performance.now() - publishEnd < 60_000; ) {
    last = recorder.totalReceived();
    await sleep(1000);
  }
  const drainSeconds = (performance.now() - publishEnd) / 1000;
  const cpuAfter = cpuSecondsOf(peer.pid);
  recorder.loopDelay.disable();
  const rssLoaded = rssOf(peer.pid);

  // Expected deliveries: every message to every client watching its order.
  let progressExpected = 0;
  let finalProgressLost = 0;
  let statusExpected = 0;
  let statusLost = 0;
  let completeExpected = 0;
  let completeLost = 0;
  for (let client = 0; client < CLIENTS; client++) {
    const order = orderOf(client);
    for (const taskId of order.taskIds) {
      const last = report.lastSeq[taskId] ?? 0;
      progressExpected += last;
      if (last > 0 && recorder.lastSeq[client]!.get(taskId) !== last) finalProgressLost++;
    }
    const statuses = report.statusPerOrder[order.orderId] ?? 0;
    statusExpected += statuses;
    statusLost += Math.max(0, statuses - recorder.statusReceived[client]!);
    const completes = report.completePerOrder[order.orderId] ?? 0;
    completeExpected += completes;
    completeLost += Math.max(0, completes - recorder.completeReceived[client]!);
  }
  const missingProgress = progressExpected - recorder.progressReceived;
  const delivered = recorder.progressReceived + statusExpected - statusLost + completeExpected - completeLost;
  const latency = recorder.latency();
  const perConnection = (before: number | null, after: number | null) =>
    before !== null && after !== null ? Math.round((after - before) / CLIENTS / 102.4) / 10 : null;
  results.push({
    peer: peerName,
    ...latency,
    progressExpected,
    progressDelivered: recorder.progressReceived,
    // Our server may coalesce superseded progress for a slow client (the latest still arrives);
    // the peers have no such rule, so for them every missing message is lost.
    progressCoalesced: peerName === 'trpc' ? missingProgress : 0,
    progressLost: peerName === 'trpc' ? 0 : missingProgress,
    finalProgressLost,
    statusExpected,
    statusLost,
    completeExpected,
    completeLost,
    // From the first message to the last one received: a server that falls behind delivers
    // late, and so more slowly.
    deliveredPerSecond: Math.round(delivered / ((recorder.lastAt - recorder.firstAt) / 1000)),
    publishedPerSecond: report.achievedRate,
    serverCpuPercent:
      cpuBefore !== null && cpuAfter !== null
        ? Math.round(((cpuAfter - cpuBefore) / (SECONDS + drainSeconds)) * 100)
        : null,
    // CPU the server spent per message it delivered (receiving from Redis included): the cost
    // figure least distorted by other processes competing for the two cores.
    serverCpuUsPerDelivery:
      cpuBefore !== null && cpuAfter !== null && delivered > 0
        ? Math.round(((cpuAfter - cpuBefore) * 1e6) / delivered)
        : null,
    rssIdleMb: rssIdle !== null ? Math.round(rssIdle / 1048576) : null,
    rssPerConnectionKb: perConnection(rssIdle, rssConnected),
    heapPerConnectionKb: perConnection(heapIdle, heapConnected),
    rssUnderLoadMb: rssLoaded !== null ? Math.round(rssLoaded / 1048576) : null,
    connectSeconds: Math.round(connectSeconds * 10) / 10,
    resyncs: recorder.resyncs,
    drainSeconds: Math.round(drainSeconds * 10) / 10,
    ...(peerName === 'trpc' ? await serverCounters(peer.baseUrl) : {}),
  });
  log(JSON.stringify(results[results.length - 1]));
  for (const close of closers) await close();
  await peer.stop();
  await sleep(1000);
}

await deleteRedisPrefix(REDIS_URL, prefix);
await tdb[Symbol.asyncDispose]();

const byPeer = Object.fromEntries(results.map((result) => [result.peer, result]));
const trpc = byPeer.trpc;
const floor = byPeer.ws;
const socketio = byPeer.socketio;
const throughputVsWs =
  trpc && floor
    ? Math.round((Number(trpc.deliveredPerSecond) / Number(floor.deliveredPerSecond)) * 100)
    : null;
printReport({
  title: `fanout: ${RATE} progress/s over ${ORDERS * TASKS_PER_ORDER} tasks, ${CLIENTS} clients (${CLIENTS / ORDERS} per order), ${SECONDS} s per peer`,
  headers: [
    'peer',
    'p50 ms',
    'p99 ms',
    'max ms',
    'status p99 ms',
    'delivered/s',
    'coalesced',
    'lost progress',
    'final lost',
    'status lost',
    'complete lost',
    'server cpu %',
    'cpu µs/msg',
    'KB/conn rss',
    'KB/conn heap',
    'client loop lag p99 ms',
  ],
  rows: results.map((r) => [
    r.peer,
    r.progressP50Ms,
    r.progressP99Ms,
    r.progressMaxMs,
    r.statusP99Ms,
    r.deliveredPerSecond,
    r.progressCoalesced,
    r.progressLost,
    r.finalProgressLost,
    r.statusLost,
    r.completeLost,
    r.serverCpuPercent,
    r.serverCpuUsPerDelivery,
    r.rssPerConnectionKb,
    r.heapPerConnectionKb,
    r.clientLoopLagP99Ms,
  ]),
  figures: {
    bench: 'fanout',
    config: {
      seconds: SECONDS,
      clients: CLIENTS,
      orders: ORDERS,
      tasks: ORDERS * TASKS_PER_ORDER,
      rate: RATE,
      statusRate: STATUS_RATE,
      completeRate: COMPLETE_RATE,
    },
    peers: byPeer,
    targets: {
      p99Under10Ms: trpc ? Number(trpc.progressP99Ms) < 10 : null,
      noStatusOrCompletionLost: trpc ? trpc.statusLost === 0 && trpc.completeLost === 0 : null,
      throughputVsWsPercent: throughputVsWs,
      notBehindSocketIo:
        trpc && socketio ? Number(trpc.deliveredPerSecond) >= Number(socketio.deliveredPerSecond) : null,
    },
  },
});
process.exit(0);
