// npm run bench -- fanout [--seconds 20] [--clients 1000] [--orders 1000 | --viewers 1] [--tasks 1000]
//                         [--warmup 5] [--rate 5000 | --rates 5000,10000,20000,40000] [--status-rate 100]
//                         [--complete-rate 10] [--peers trpc,socketio,ws] [--client-procs 2]
//                         [--heap-snapshots DIR] [--alloc-profile DIR] [--cpu-profile DIR]
// One publisher emits `rate` progress messages per second over `tasks` tasks (plus status and
// completion events at lower rates) on Redis, while `clients` WebSocket clients each watch one
// order, through three servers in turn under the same load:
//   trpc      our real server (apps/server main.ts: Redis psubscribe hub -> tRPC events.order), real
//             sessions, its order progress relay relaying each ticking order once a second
//   socketio  a Socket.IO server relaying the same Redis messages to rooms (the seeds' design)
//   ws        a bare `ws` server with a channel map (the floor)
// Each server runs in a child process, so its memory (RSS from /proc) and CPU are its own; the
// clients (spread over --client-procs processes, each one's loop lag reported) and the publisher
// run in other processes. Memory per connection is read as it stands 2 s after the last connect
// and after a full GC asked for through each server's inspector (fanout/inspector.ts): the live
// heap is what the connections hold. --viewers N: N clients per order (orders = clients / N). --rates
// runs the rates in turn on the same connections (a saturation ramp): the saturation rate is the
// highest with p50 < 5 ms and nothing lost. Prints a table, then one JSON line last.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createTestDatabase } from '@paidflow/db/testing';
import { deleteRedisPrefix } from '@paidflow/server/testing';
import { ClientFleet } from './fanout/client-fleet.ts';
import { COLUMNS } from './fanout/columns.ts';
import { reportCpuProfile, startCpuProfile } from './fanout/cpu-profile.ts';
import { countDeliveries } from './fanout/deliveries.ts';
import { ensureOpenFiles } from './fanout/fd-limit.ts';
import { reportAllocations, startAllocationSampling } from './fanout/inspector.ts';
import { memoryPerConnection, readMemory } from './fanout/memory.ts';
import {
  type RunningPeer,
  runPublisher,
  serverCounters,
  startForkedPeer,
  startTrpcPeer,
} from './fanout/peers.ts';
import { cpuSecondsOf, rssOf, writeCallsOf } from './fanout/proc.ts';
import { createTopology } from './fanout/setup.ts';
import { serverKind } from './lib/app-build.ts';
import { printReport, progressLog } from './lib/report.ts';
import { sleep, waitUntil } from './lib/wait.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    seconds: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    clients: { type: 'string', default: '1000' },
    orders: { type: 'string', default: '1000' },
    tasks: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '5000' },
    'status-rate': { type: 'string', default: '100' },
    'complete-rate': { type: 'string', default: '10' },
    peers: { type: 'string', default: 'trpc,socketio,ws' },
    viewers: { type: 'string' },
    rates: { type: 'string' },
    'client-procs': { type: 'string', default: '2' },
    // Directories: heap snapshots (idle, connected), connect allocations (065), CPU while connecting and per rate (066, 068).
    'heap-snapshots': { type: 'string' },
    'alloc-profile': { type: 'string' },
    'cpu-profile': { type: 'string' },
  },
});
const [SECONDS, CLIENTS] = [Number(values.seconds), Number(values.clients)];
const WARMUP_SECONDS = Math.min(Number(values.warmup), SECONDS / 2);
const ORDERS = values.viewers
  ? Math.max(1, Math.round(CLIENTS / Number(values.viewers)))
  : Number(values.orders);
const TASKS_PER_ORDER = Math.max(1, Math.round(Number(values.tasks) / ORDERS));
const RATES = (values.rates ?? values.rate).split(',').map(Number);
const RATE = RATES[0]!;
const CLIENT_PROCS = Number(values['client-procs']);
type Peer = 'trpc' | 'socketio' | 'ws';
const [STATUS_RATE, COMPLETE_RATE] = [Number(values['status-rate']), Number(values['complete-rate'])];
const PEERS = values.peers.split(',').map((peer) => peer.trim()) as Peer[];
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const log = progressLog('fanout');

// Each client holds a descriptor in its process and one in the server's (plus Redis, MySQL...).
ensureOpenFiles(CLIENTS + 1024, log);
const prefix = `bench-${randomUUID()}`;
const tdb = await createTestDatabase('fanout');
log(`database ${tdb.name}, Redis prefix ${prefix}`);
const topology = await createTopology(tdb.db, {
  orders: ORDERS,
  tasksPerOrder: TASKS_PER_ORDER,
  clients: CLIENTS,
  redis: { url: REDIS_URL, prefix },
});
const orderOf = (client: number) => topology.orders[client % topology.orders.length]!;
log(
  `${ORDERS} orders x ${TASKS_PER_ORDER} tasks, ${CLIENTS} clients (${CLIENTS / ORDERS} per order), ${RATE} progress/s`,
);

const results: Array<Record<string, number | string | null>> = [];

/** One rate's load on a connected fleet: what was published, delivered and lost, and the server's cost. */
async function measure(peerName: Peer, peer: RunningPeer, fleet: ClientFleet, rate: number) {
  const { epochMs } = fleet;
  fleet.loopDelay(true);
  const cpuBefore = cpuSecondsOf(peer.pid);
  const writesBefore = writeCallsOf(peer.pid);
  // Every message still counts to the p99; the steady p99 leaves out the first seconds' (068).
  fleet.warmup(WARMUP_SECONDS);
  const report = await runPublisher({
    redisUrl: REDIS_URL,
    prefix,
    epochMs,
    seconds: SECONDS,
    rate,
    statusRate: STATUS_RATE,
    completeRate: COMPLETE_RATE,
    orders: topology.orders,
  });
  // Let what is in flight arrive: wait until deliveries stop for 3 s (at most 60 s), so that
  // "lost" below means never delivered, not late (an overloaded server can pause for a second).
  const publishEnd = performance.now();
  for (let last = -1; fleet.totalReceived() !== last && performance.now() - publishEnd < 60_000; ) {
    last = fleet.totalReceived();
    await sleep(3000);
  }
  const drainSeconds = (performance.now() - publishEnd) / 1000;
  const cpuAfter = cpuSecondsOf(peer.pid);
  const writesAfter = writeCallsOf(peer.pid);
  fleet.loopDelay(false);
  const rssLoaded = rssOf(peer.pid);
  const received = await fleet.collect();
  fleet.reset();
  const counts = countDeliveries({ clients: CLIENTS, orderOf, report, received });
  const between = (before: number | null, after: number | null) =>
    before !== null && after !== null ? after - before : null;
  const cpuSeconds = between(cpuBefore, cpuAfter);
  const writes = between(writesBefore, writesAfter);
  return {
    peer: peerName,
    rate,
    ...received.latency,
    clientLoopLagP99MsPerProc: received.clientLoopLagP99MsPerProc.join(' / '),
    progressExpected: counts.progressExpected,
    progressDelivered: received.progressReceived,
    // Our server may coalesce superseded progress for a slow client (the latest still arrives);
    // the peers have no such rule, so for them every missing message is lost.
    progressCoalesced: peerName === 'trpc' ? counts.missingProgress : 0,
    progressLost: peerName === 'trpc' ? 0 : counts.missingProgress,
    finalProgressLost: counts.finalProgressLost,
    statusExpected: counts.statusExpected,
    statusLost: counts.statusLost,
    completeExpected: counts.completeExpected,
    completeLost: counts.completeLost,
    // From the first message to the last one received: a late server delivers more slowly.
    deliveredPerSecond: Math.round(counts.delivered / ((received.lastAtMs - received.firstAtMs) / 1000)),
    publishedPerSecond: report.achievedRate,
    // The relay's order progress (tRPC; not in delivered/s or µs/msg): 0 would mean it is idle.
    orderProgressPerSecond: Math.round(received.orderProgressReceived / SECONDS),
    serverCpuPercent: cpuSeconds !== null ? Math.round((cpuSeconds / (SECONDS + drainSeconds)) * 100) : null,
    // CPU the server spent per message it delivered (receiving from Redis included): the cost
    // figure least distorted by other processes competing for the two cores.
    serverCpuUsPerDelivery:
      cpuSeconds !== null && counts.delivered > 0 ? Math.round((cpuSeconds * 1e6) / counts.delivered) : null,
    // Its write system calls per message delivered: frames to clients (the relay's order progress
    // included) and commands to Redis.
    serverWritesPerDelivery:
      writes !== null && counts.delivered > 0 ? Math.round((writes / counts.delivered) * 100) / 100 : null,
    rssUnderLoadMb: rssLoaded !== null ? Math.round(rssLoaded / 1048576) : null,
    resyncs: received.resyncs,
    drainSeconds: Math.round(drainSeconds * 10) / 10,
    ...(peerName === 'trpc' ? await serverCounters(peer.baseUrl) : {}),
  };
}

for (const peerName of PEERS) {
  log(`--- ${peerName}`);
  const peerEnv = { REDIS_URL, FANOUT_PREFIX: prefix, REDIS_PREFIX: prefix, DATABASE_URL: tdb.url };
  const peer =
    peerName === 'trpc'
      ? await startTrpcPeer(peerEnv)
      : await startForkedPeer(peerName === 'socketio' ? 'socketio-peer.ts' : 'ws-peer.ts', peerEnv);
  await sleep(1500);
  // Every peer starts from a collected heap; after connecting, its memory is read twice: as it
  // stands (garbage of the set-up included) and after a full GC (what the connections hold).
  const snapshots = values['heap-snapshots'];
  await peer.liveHeap(snapshots && `${snapshots}/${peerName}-idle.heapsnapshot`);
  const idle = await readMemory(peer);
  const allocDir = values['alloc-profile'];
  const stopSampling = allocDir ? await startAllocationSampling(peer.inspectorPort) : null;
  const cpuDir = values['cpu-profile'];
  const stopConnectProfile = cpuDir ? await startCpuProfile(peer.inspectorPort) : null;
  const connectStart = performance.now();
  const connectCpuBefore = cpuSecondsOf(peer.pid);
  const fleet = new ClientFleet({
    procs: CLIENT_PROCS,
    peer: peerName,
    baseUrl: peer.baseUrl,
    cookies: topology.cookies,
    orders: topology.orders,
    clients: CLIENTS,
    epochMs: Date.now(),
  });
  await waitUntil(() => fleet.readyCount() === CLIENTS, 120_000 + CLIENTS * 20, `${peerName} clients ready`);
  const connectSeconds = (performance.now() - connectStart) / 1000;
  const connectCpuAfter = cpuSecondsOf(peer.pid);
  const connectCpu =
    connectCpuBefore !== null && connectCpuAfter !== null ? connectCpuAfter - connectCpuBefore : null;
  if (stopSampling && allocDir)
    await reportAllocations(peerName, await stopSampling(), allocDir, CLIENTS, log);
  if (stopConnectProfile && cpuDir)
    await reportCpuProfile(`${peerName}-connect`, await stopConnectProfile(), cpuDir, log);
  await sleep(2000);
  const connected = await readMemory(peer, snapshots && `${snapshots}/${peerName}-connected.heapsnapshot`);
  const memory = {
    ...memoryPerConnection(idle, connected, CLIENTS),
    connectSeconds: Math.round(connectSeconds * 10) / 10,
    // The server's CPU while the clients connected, per connection (its set-up: decision 068).
    connectCpuMsPerConnection: connectCpu !== null ? Math.round((connectCpu / CLIENTS) * 1e5) / 100 : null,
  };
  for (const rate of RATES) {
    const stopProfile = cpuDir ? await startCpuProfile(peer.inspectorPort) : null;
    const row = await measure(peerName, peer, fleet, rate);
    if (stopProfile && cpuDir)
      await reportCpuProfile(`${peerName}-${rate}`, await stopProfile(), cpuDir, log);
    results.push({ ...row, ...memory });
    log(JSON.stringify(results[results.length - 1]));
  }
  await fleet.close();
  await peer.stop();
  await sleep(1000);
}

await deleteRedisPrefix(REDIS_URL, prefix);
await tdb[Symbol.asyncDispose]();

// The targets read the first rate's row of each peer; the ramp's saturation reads them all.
const byPeer = Object.fromEntries(results.filter((r) => r.rate === RATE).map((r) => [r.peer, r]));
const trpc = byPeer.trpc;
const floor = byPeer.ws;
const socketio = byPeer.socketio;
const ratio = (a: unknown, b: unknown) => Math.round((Number(a) / Number(b)) * 100) / 100;
const throughputVsWs =
  trpc && floor ? Math.round(ratio(trpc.deliveredPerSecond, floor.deliveredPerSecond) * 100) : null;
/** Per peer: the highest rate delivered with p50 < 5 ms and nothing lost (coalesced is not lost). */
const saturation = Object.fromEntries(
  PEERS.map((peer) => {
    const ok = results.filter(
      (r) =>
        r.peer === peer &&
        Number(r.progressP50Ms) < 5 &&
        r.progressLost === 0 &&
        r.finalProgressLost === 0 &&
        r.statusLost === 0 &&
        r.completeLost === 0,
    );
    return [peer, ok.length > 0 ? Math.max(...ok.map((r) => Number(r.rate))) : 0];
  }),
);
const atMost = (key: string) => (trpc && socketio ? Number(trpc[key]) <= Number(socketio[key]) : null);
printReport({
  title: `fanout (our server: ${serverKind()}): ${RATES.join(', ')} progress/s over ${ORDERS * TASKS_PER_ORDER} tasks, ${CLIENTS} clients (${CLIENTS / ORDERS} per order, ${CLIENT_PROCS} client processes), ${SECONDS} s per rate`,
  headers: COLUMNS.map(([header]) => header),
  rows: results.map((r) => COLUMNS.map(([, key]) => r[key])),
  figures: {
    bench: 'fanout',
    config: {
      seconds: SECONDS,
      clients: CLIENTS,
      orders: ORDERS,
      viewersPerOrder: CLIENTS / ORDERS,
      tasks: ORDERS * TASKS_PER_ORDER,
      rates: RATES,
      statusRate: STATUS_RATE,
      completeRate: COMPLETE_RATE,
      clientProcs: CLIENT_PROCS,
      // Our server as `npm run serve` runs it (its build), or under tsx (BENCH_SERVER=tsx).
      server: serverKind(),
    },
    peers: byPeer,
    ramp: results,
    saturationRate: saturation,
    targets: {
      p99Under10Ms: trpc ? Number(trpc.progressP99Ms) < 10 : null,
      noStatusOrCompletionLost: trpc ? trpc.statusLost === 0 && trpc.completeLost === 0 : null,
      throughputVsWsPercent: throughputVsWs,
      notBehindSocketIo:
        trpc && socketio ? Number(trpc.deliveredPerSecond) >= Number(socketio.deliveredPerSecond) : null,
      p99AtMostSocketIo: atMost('progressP99Ms'),
      cpuAtMostSocketIo: atMost('serverCpuUsPerDelivery'),
      rssAtMostSocketIo: atMost('rssPerConnectionKb'),
      liveHeapAtMostSocketIo: atMost('liveHeapPerConnectionKb'),
      p99VsWs: trpc && floor ? ratio(trpc.progressP99Ms, floor.progressP99Ms) : null,
      saturationVsSocketIo:
        saturation.trpc && saturation.socketio ? ratio(saturation.trpc, saturation.socketio) : null,
      saturationVsWs: saturation.trpc && saturation.ws ? ratio(saturation.trpc, saturation.ws) : null,
    },
  },
});
process.exit(0);
