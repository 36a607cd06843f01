// `npm run bench -- pubsub [--rate 5000] [--seconds 10] [--orders 1000] [--servers 3] [--payload 220]`
//
// What Paidflow's live events cost Redis on one node and on a 3-master Redis Cluster (decision
// 058). Each of `--servers` subscribers stands for one server process: it must hear every event.
//   single          one redis-server; each server PSUBSCRIBEs the namespace (today's design).
//   cluster         classic PUBLISH on the order's master (where the worker's MULTI lands), each
//                   server PSUBSCRIBEd on a different master: the cluster bus copies every message
//                   to every node (what Paidflow does on a cluster).
//   cluster-sharded SPUBLISH on hash-tagged channels: each server SSUBSCRIBEs every order channel on
//                   its shard's master, one connection per master (the possible later step).
// It prints, per topology: messages, deliveries, latency p50/p99, Redis CPU µs per message summed
// over every node and on the busiest node, and cluster-bus messages per message. Real
// redis-server processes on spare ports, removed at the end.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startRedisCluster } from '@paidflow/runtime/testing';
import { Redis } from 'ioredis';
import { printReport, progressLog } from './lib/report.ts';
import { summarize } from './lib/stats.ts';
import { startPlainRedis } from './pubsub/plain-redis.ts';

const log = progressLog('pubsub');
const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '10' },
    orders: { type: 'string', default: '1000' },
    servers: { type: 'string', default: '3' },
    payload: { type: 'string', default: '220' },
  },
});
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const ORDERS = Number(args.orders);
const SERVERS = Number(args.servers);
const PAD = 'x'.repeat(Math.max(0, Number(args.payload) - 60));

type Mode = 'single' | 'cluster' | 'cluster-sharded';

interface Topology {
  mode: Mode;
  /** Client ports of the nodes that serve slots (one for a single Redis). */
  masters: number[];
  /** The master that owns a channel's slot. */
  ownerOf(channel: string): number;
  stop(): Promise<void>;
}

const CHANNELS = Array.from({ length: ORDERS }, (_, i) => `bench:{o:${i + 1}}:progress`);

async function cpuSeconds(port: number): Promise<number> {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
  await redis.connect();
  const info = await redis.info('cpu');
  redis.disconnect();
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return field('used_cpu_sys') + field('used_cpu_user');
}

async function busMessages(port: number): Promise<number> {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
  await redis.connect();
  const info = String(await redis.call('CLUSTER', 'INFO'));
  redis.disconnect();
  const sent = /cluster_stats_messages_publish(?:shard)?_sent:(\d+)/g;
  let total = 0;
  for (const match of info.matchAll(sent)) total += Number(match[1]);
  return total;
}

/** Each channel's master, as the cluster itself answers (CLUSTER KEYSLOT, CLUSTER SLOTS). */
async function channelOwners(port: number, channels: string[]): Promise<Map<string, number>> {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
  await redis.connect();
  const ranges = (await redis.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
  const pipeline = redis.pipeline();
  for (const channel of channels) pipeline.call('CLUSTER', 'KEYSLOT', channel);
  const slots = (await pipeline.exec())!.map(([, slot]) => Number(slot));
  redis.disconnect();
  return new Map(
    channels.map((channel, i) => {
      const range = ranges.find(([from, to]) => slots[i]! >= from && slots[i]! <= to);
      if (!range) throw new Error(`slot ${slots[i]} has no master`);
      return [channel, range[2][1]];
    }),
  );
}

async function startTopology(mode: Mode): Promise<Topology> {
  if (mode === 'single') {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'paidflow-bench-pubsub-'));
    const node = await startPlainRedis(dir);
    return {
      mode,
      masters: [node.port],
      ownerOf: () => node.port,
      async stop() {
        await node.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  const cluster = await startRedisCluster({ masters: 3 });
  const owners = await channelOwners(cluster.nodes[0]!.port, CHANNELS);
  return {
    mode,
    masters: await cluster.masters(),
    ownerOf: (channel) => owners.get(channel)!,
    stop: () => cluster.stop(),
  };
}

function connect(port: number): Redis {
  const redis = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  redis.on('error', (error) => log(`redis ${port}: ${error.message}`));
  return redis;
}

async function run(mode: Mode) {
  const topology = await startTopology(mode);
  const channels = CHANNELS;
  const latencies: number[] = [];
  const received = new Array<number>(SERVERS).fill(0);
  const subscribers: Redis[] = [];
  try {
    for (let server = 0; server < SERVERS; server++) {
      const onMessage = (_channel: string, message: string) => {
        received[server]!++;
        latencies.push(performance.now() - Number(message.slice(0, message.indexOf('|'))));
      };
      if (mode === 'cluster-sharded') {
        for (const master of topology.masters) {
          const own = channels.filter((channel) => topology.ownerOf(channel) === master);
          const sub = connect(master);
          sub.on('smessage', onMessage);
          // One channel per SSUBSCRIBE: its channels must share a slot.
          await Promise.all(own.map((channel) => sub.ssubscribe(channel)));
          subscribers.push(sub);
        }
      } else {
        // Server i is connected to master i (mod the masters): on a cluster, each node serves one.
        const sub = connect(topology.masters[server % topology.masters.length]!);
        sub.on('pmessage', (_pattern, channel: string, message: string) => onMessage(channel, message));
        await sub.psubscribe('bench:*');
        subscribers.push(sub);
      }
    }
    const publishers = new Map(topology.masters.map((port) => [port, connect(port)]));
    const cpuBefore = await Promise.all(topology.masters.map(cpuSeconds));
    const busBefore = mode === 'single' ? [] : await Promise.all(topology.masters.map(busMessages));
    const total = RATE * SECONDS;
    const perTick = Math.max(1, Math.round(RATE / 100));
    let sent = 0;
    const started = performance.now();
    while (sent < total) {
      const batch = new Map<number, ReturnType<Redis['pipeline']>>();
      for (let i = 0; i < perTick && sent < total; i++, sent++) {
        const channel = channels[sent % ORDERS]!;
        const owner = topology.ownerOf(channel);
        let pipeline = batch.get(owner);
        if (!pipeline) {
          pipeline = publishers.get(owner)!.pipeline();
          batch.set(owner, pipeline);
        }
        const message = `${performance.now()}|{"percent":42,"currentFile":"lesson-07.mp4","speed":1048576,${PAD}}`;
        if (mode === 'cluster-sharded') pipeline.spublish(channel, message);
        else pipeline.publish(channel, message);
      }
      await Promise.all([...batch.values()].map((pipeline) => pipeline.exec()));
      const due = started + (sent / RATE) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    const deadline = Date.now() + 10_000;
    while (received.some((n) => n < total) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const cpuAfter = await Promise.all(topology.masters.map(cpuSeconds));
    const busAfter = mode === 'single' ? [] : await Promise.all(topology.masters.map(busMessages));
    const cpu = cpuAfter.map((after, i) => (after - cpuBefore[i]!) * 1e6);
    for (const redis of publishers.values()) redis.disconnect();
    const latency = summarize(latencies);
    return {
      mode,
      sent,
      deliveries: received.reduce((a, b) => a + b, 0),
      lost: received.reduce((sum, n) => sum + Math.max(0, total - n), 0),
      p50_ms: latency.p50,
      p99_ms: latency.p99,
      redis_cpu_us_per_msg: Math.round((cpu.reduce((a, b) => a + b, 0) / sent) * 10) / 10,
      busiest_node_cpu_us_per_msg: Math.round((Math.max(...cpu) / sent) * 10) / 10,
      busiest_node_cpu_pct: Math.round((Math.max(...cpu) / 1e6 / SECONDS) * 1000) / 10,
      bus_msgs_per_msg:
        mode === 'single'
          ? 0
          : Math.round((busAfter.reduce((a, b, i) => a + b - busBefore[i]!, 0) / sent) * 100) / 100,
    };
  } finally {
    for (const sub of subscribers) sub.disconnect();
    await topology.stop();
  }
}

const results = [];
for (const mode of ['single', 'cluster', 'cluster-sharded'] as const) {
  log(`${mode}: ${RATE} msg/s for ${SECONDS} s over ${ORDERS} orders to ${SERVERS} servers`);
  results.push(await run(mode));
}
printReport({
  title: `Live events on Redis: ${RATE} msg/s, ${SECONDS} s, ${ORDERS} orders, ${SERVERS} subscribing servers`,
  headers: [
    'topology',
    'sent',
    'deliveries',
    'lost',
    'p50 ms',
    'p99 ms',
    'Redis CPU µs/msg (all nodes)',
    'busiest node µs/msg',
    'busiest node CPU %',
    'bus msgs/msg',
  ],
  rows: results.map((r) => [
    r.mode,
    r.sent,
    r.deliveries,
    r.lost,
    r.p50_ms,
    r.p99_ms,
    r.redis_cpu_us_per_msg,
    r.busiest_node_cpu_us_per_msg,
    r.busiest_node_cpu_pct,
    r.bus_msgs_per_msg,
  ]),
  figures: { bench: 'pubsub', rate: RATE, seconds: SECONDS, orders: ORDERS, servers: SERVERS, results },
});
