import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ClusterNode } from '../redis.ts';
import { killNode, logTail, nodeCommand, type RedisNodeProcess, startNode, waitUntil } from './redis-node.ts';

const run = promisify(execFile);

export interface RedisClusterOptions {
  /** Masters, each with a share of the 16384 slots (at least 3: redis-cli refuses fewer). */
  masters?: number;
  /** Replicas per master; a replica takes over when its master dies. */
  replicasPerMaster?: number;
  /** How long the cluster may take to form, in ms. */
  readyTimeoutMs?: number;
}

/** A real Redis Cluster of local `redis-server` children, for tests. `await using` stops it. */
export interface RedisClusterHandle extends AsyncDisposable {
  /** Every node, masters and replicas, in start order. */
  nodes: ClusterNode[];
  /** The masters at start, `127.0.0.1:P1,127.0.0.1:P2,...`: the value for REDIS_CLUSTER_NODES. */
  env: string;
  /** The temp dir holding the nodes' configs and logs. */
  dir: string;
  /** Process ids of the nodes still running. */
  pids(): number[];
  /** Ports of the masters that serve slots now (asked with CLUSTER NODES). */
  masters(): Promise<number[]>;
  /** Kills one node (SIGKILL unless told) and waits until its process is gone. */
  kill(port: number, signal?: NodeJS.Signals): Promise<void>;
  /** Until every live node reports the cluster ok again, with the dead node's slots moved. */
  waitForFailover(deadPort: number, timeoutMs?: number): Promise<void>;
  /** Kills every node and removes the temp dir; safe to call twice. */
  stop(): Promise<void>;
}

interface NodeLine {
  id: string;
  port: number;
  flags: string[];
  masterId: string;
  slots: string[];
}

/** Parses CLUSTER NODES: `<id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot>...`. */
export function parseClusterNodes(text: string): NodeLine[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [id = '', address = '', flags = '', masterId = '', , , , , ...slots] = line.split(' ');
      const port = Number(address.split('@')[0]?.split(':').pop());
      return { id, port, flags: flags.split(','), masterId, slots };
    });
}

function infoField(info: string, field: string): string | undefined {
  const line = info.split(/\r?\n/).find((l) => l.startsWith(`${field}:`));
  return line?.slice(field.length + 1).trim();
}

/** Is this node's view of the cluster complete: state ok, all slots served, everyone known? */
async function nodeSeesHealthyCluster(port: number, knownNodes: number): Promise<boolean> {
  const info = await nodeCommand(port, 'CLUSTER', 'INFO').catch(() => '');
  return (
    infoField(info, 'cluster_state') === 'ok' &&
    infoField(info, 'cluster_slots_ok') === '16384' &&
    Number(infoField(info, 'cluster_known_nodes')) === knownNodes
  );
}

export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisClusterHandle> {
  const { masters = 3, replicasPerMaster = 0, readyTimeoutMs = 30_000 } = options;
  if (masters < 3) throw new Error('a Redis Cluster needs at least 3 masters');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'paidflow-redis-cluster-'));
  const processes = new Map<number, RedisNodeProcess>();
  const dead = new Set<number>();
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all([...processes.values()].map((node) => killNode(node, 'SIGKILL')));
    await rm(dir, { recursive: true, force: true });
  };

  const alivePorts = () => [...processes.keys()].filter((port) => !dead.has(port));

  const clusterNodes = async (): Promise<NodeLine[]> => {
    for (const port of alivePorts()) {
      const text = await nodeCommand(port, 'CLUSTER', 'NODES').catch(() => undefined);
      if (text !== undefined) return parseClusterNodes(text);
    }
    throw new Error('no live node of the Redis Cluster answers');
  };

  const servingMasters = async (): Promise<number[]> =>
    (await clusterNodes())
      .filter((n) => n.flags.includes('master') && !n.flags.includes('fail') && n.slots.length > 0)
      .map((n) => n.port)
      .sort((a, b) => a - b);

  try {
    const total = masters * (replicasPerMaster + 1);
    // Each node is recorded as soon as it runs, so that a failed start still stops them all.
    const starting = Array.from({ length: total }, () =>
      startNode(dir).then((node) => {
        processes.set(node.port, node);
        return node;
      }),
    );
    const settled = await Promise.allSettled(starting);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const started = [...processes.values()];
    const addresses = started.map((node) => `127.0.0.1:${node.port}`);
    await run(
      'redis-cli',
      ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicasPerMaster)].concat([
        '--cluster-yes',
      ]),
      { timeout: readyTimeoutMs },
    ).catch((error: Error & { stdout?: string; stderr?: string }) => {
      throw new Error(`redis-cli --cluster create failed: ${error.message}\n${error.stdout ?? ''}`);
    });
    await waitUntil(
      'every node to see cluster_state:ok with all 16384 slots',
      async () => {
        const views = await Promise.all(started.map((n) => nodeSeesHealthyCluster(n.port, total)));
        return views.every(Boolean);
      },
      readyTimeoutMs,
    );
    // Gossip spreads the replicas' roles a moment after the slots: wait for every one of them.
    let replicaPorts: number[] = [];
    await waitUntil(
      `CLUSTER NODES to show ${masters * replicasPerMaster} replicas`,
      async () => {
        const lines = await clusterNodes();
        replicaPorts = lines.filter((n) => n.flags.includes('slave')).map((n) => n.port);
        return replicaPorts.length === masters * replicasPerMaster;
      },
      readyTimeoutMs,
    );
    await waitUntil(
      'every replica to be in sync with its master (master_link_status:up)',
      async () => {
        const infos = await Promise.all(
          replicaPorts.map((port) => nodeCommand(port, 'INFO', 'replication').catch(() => '')),
        );
        return infos.every((info) => infoField(info, 'master_link_status') === 'up');
      },
      readyTimeoutMs,
    );
    const masterPorts = await servingMasters();
    if (masterPorts.length !== masters) {
      throw new Error(`expected ${masters} masters, CLUSTER NODES shows ${masterPorts.length}`);
    }

    return {
      nodes: started.map((node) => ({ host: '127.0.0.1', port: node.port })),
      env: masterPorts.map((port) => `127.0.0.1:${port}`).join(','),
      dir,
      pids: () =>
        [...processes.values()]
          .filter((n) => n.child.exitCode === null && n.child.signalCode === null)
          .map((n) => n.child.pid)
          .filter((pid): pid is number => pid !== undefined),
      masters: servingMasters,
      kill: async (port, signal = 'SIGKILL') => {
        const node = processes.get(port);
        if (!node) throw new Error(`no node of this cluster on port ${port}`);
        dead.add(port);
        await killNode(node, signal);
      },
      waitForFailover: async (deadPort, timeoutMs = 30_000) => {
        const before = await clusterNodes().catch(() => []);
        const deadId = before.find((n) => n.port === deadPort)?.id;
        await waitUntil(
          `the cluster to fail over from the node on port ${deadPort}`,
          async () => {
            for (const port of alivePorts()) {
              if (!(await nodeSeesHealthyCluster(port, total))) return false;
              const text = await nodeCommand(port, 'CLUSTER', 'NODES').catch(() => '');
              const deadLine = parseClusterNodes(text).find((n) => n.port === deadPort || n.id === deadId);
              if (!deadLine?.flags.includes('fail') || deadLine.slots.length > 0) return false;
            }
            return true;
          },
          timeoutMs,
        ).catch(async (error: Error) => {
          const logs = await Promise.all(alivePorts().map((p) => logTail(processes.get(p)!, 5)));
          throw new Error(`${error.message}\n${logs.join('\n---\n')}`);
        });
      },
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
