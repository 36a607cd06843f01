// A whole Paidflow deployment on this machine, for the topology test (deploy/haproxy) and the scale
// benchmark: a fresh database, one private redis-server or a 3-master Redis Cluster, n server
// processes behind haproxy (the committed deploy/haproxy/haproxy.cfg), m worker processes and a
// course source. Clients, webhooks and workers all go through haproxy, as in production.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type CourseSource, startCourseSource } from '@paidflow/course-source';
import { createTestDatabase, type TestDatabase } from '@paidflow/db/testing';
import type { ClusterNode, RedisTarget } from '@paidflow/runtime';
import { startRedisCluster } from '@paidflow/runtime/testing';
import { ensureDemoAdmins, SESSION_COOKIE, startPrivateRedis } from '@paidflow/server/testing';
import { freePort } from '../../scripts/testing/processes.ts';
import { type Haproxy, startHaproxy } from './topology/haproxy.ts';
import { type ChildEnv, launchServer, launchWorker, type NodeProcess } from './topology/node-process.ts';

export type { Haproxy, HaproxyStat } from './topology/haproxy.ts';
export { type NodeProcess, processCpuMs } from './topology/node-process.ts';

export const TOPOLOGY_SECRET = 'topology-webhook-secret-0123456789';
/** The demo operator that ensureDemoAdmins creates. */
export const OPERATOR = { email: 'operator@paidflow.local', password: 'operator-demo' };

export interface TopologyOptions {
  /** Server processes behind haproxy: 1 to 3 (the config's slots). */
  servers: number;
  workers: number;
  redis: 'single' | 'cluster';
  /** WORKER_CONCURRENCY of each worker (4 unless told). */
  workerConcurrency?: number;
  /** More server (or worker) variables; `undefined` unsets one. */
  serverEnv?: ChildEnv;
  workerEnv?: ChildEnv;
  label?: string;
  /** Progress lines (what starts). */
  log?: (line: string) => void;
}

export interface Topology {
  /** haproxy's address: every client, webhook and worker report goes here. */
  url: string;
  prefix: string;
  secret: string;
  tdb: TestDatabase;
  source: CourseSource;
  haproxy: Haproxy;
  servers: NodeProcess[];
  workers: NodeProcess[];
  /** Where Redis is, for a client of the test's or bench's own. */
  redis: RedisTarget;
  /** The masters serving now (one node for a single Redis), for INFO. */
  redisMasters(): Promise<ClusterNode[]>;
  /** A session of the demo operator (each call a new one, signed in through haproxy): `name=value`. */
  signIn(): Promise<string>;
  /** Starts more workers (w<k>...), waiting until each is healthy. */
  startWorkers(count: number): Promise<NodeProcess[]>;
  /** Kills every process, drops the database and removes the directories; safe to call twice. */
  stop(): Promise<void>;
}

/** Runs each cleanup (latest first), even when one fails; throws the first failure after all ran. */
async function runCleanups(cleanups: Array<() => Promise<unknown>>): Promise<void> {
  let first: unknown = null;
  while (cleanups.length > 0) {
    const cleanup = cleanups.pop()!;
    try {
      await cleanup();
    } catch (error) {
      first ??= error;
    }
  }
  if (first) throw first;
}

async function signInThrough(url: string): Promise<string> {
  const response = await fetch(`${url}/trpc/auth.login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ json: OPERATOR }),
  });
  if (!response.ok) throw new Error(`sign-in answered ${response.status}: ${await response.text()}`);
  const cookie = response.headers
    .getSetCookie()
    .map((header) => header.split(';')[0]!)
    .find((pair) => pair.startsWith(`${SESSION_COOKIE}=`));
  if (!cookie) throw new Error('sign-in set no session cookie');
  return cookie;
}

/** The limits off in effect: every client of a test or bench shares one address and one session. */
const GENEROUS_LIMITS: ChildEnv = {
  WS_CONNECT_RATE_LIMIT_PER_IP: '1000000',
  WEBHOOK_RATE_LIMIT_PER_IP: '1000000',
  TRPC_RATE_LIMIT_PER_IP: '1000000',
  TRPC_RATE_LIMIT_PER_SESSION: '1000000',
  WS_SOCKETS_PER_SESSION: '1000000',
  WS_SUBSCRIBE_RATE_LIMIT_PER_SESSION: '1000000',
  LOGIN_RATE_LIMIT_PER_IP: '1000000',
  LOGIN_RATE_LIMIT_PER_EMAIL: '1000000',
};

export async function startTopology(options: TopologyOptions): Promise<Topology> {
  const log = options.log ?? (() => {});
  const cleanups: Array<() => Promise<unknown>> = [];
  const servers: NodeProcess[] = [];
  const workers: NodeProcess[] = [];
  const prefix = `topology-${randomUUID()}`;
  try {
    const root = await mkdtemp(path.join(os.tmpdir(), 'paidflow-topology-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const tdb = await createTestDatabase(options.label ?? 'topology');
    cleanups.push(() => tdb[Symbol.asyncDispose]());
    await ensureDemoAdmins(tdb.db);
    const source = await startCourseSource();
    cleanups.push(() => source.close());

    let redisEnv: ChildEnv;
    let redis: RedisTarget;
    let redisMasters: () => Promise<ClusterNode[]>;
    if (options.redis === 'cluster') {
      log('starting a 3-master Redis Cluster');
      const cluster = await startRedisCluster({ masters: 3 });
      cleanups.push(() => cluster.stop());
      redisEnv = { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_CLUSTER_NODES: cluster.env };
      redis = { url: 'redis://127.0.0.1:6379', clusterNodes: cluster.nodes };
      redisMasters = async () => (await cluster.masters()).map((port) => ({ host: '127.0.0.1', port }));
    } else {
      // A private one (not the machine's), so that its INFO counts this topology alone. It goes
      // with its keys: no prefix to clean up.
      const single = await startPrivateRedis();
      cleanups.push(() => single.close());
      const port = Number(new URL(single.url).port);
      redisEnv = { REDIS_URL: single.url, REDIS_CLUSTER_NODES: undefined };
      redis = { url: single.url };
      redisMasters = async () => [{ host: '127.0.0.1', port }];
    }

    const listenPort = await freePort();
    const url = `http://127.0.0.1:${listenPort}`;
    const dirs = { STORAGE_DIR: path.join(root, 'storage'), DELIVERY_DIR: path.join(root, 'delivery') };
    const serverEnv: ChildEnv = {
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      TRUST_PROXY: 'true',
      DATABASE_URL: tdb.url,
      REDIS_PREFIX: prefix,
      WEBHOOK_SECRETS: TOPOLOGY_SECRET,
      OUTBOX_POLL_MS: '100',
      PUBLIC_BASE_URL: url,
      ALERTS_ENABLED: 'false',
      DELIVERY_DIR: dirs.DELIVERY_DIR,
      ...GENEROUS_LIMITS,
      ...redisEnv,
      ...options.serverEnv,
    };
    log(`starting ${options.servers} server process(es)`);
    cleanups.push(() => Promise.all(servers.map((server) => server.kill())));
    const started = await Promise.allSettled(
      Array.from({ length: options.servers }, (_, i) => launchServer(`s${i + 1}`, serverEnv)),
    );
    for (const result of started) if (result.status === 'fulfilled') servers.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;

    log('starting haproxy');
    const haproxy = await startHaproxy(
      servers.map((server) => new URL(server.url).host),
      listenPort,
    );
    cleanups.push(() => haproxy.stop());

    const workerEnv: ChildEnv = {
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      SERVER_URL: url,
      REDIS_PREFIX: prefix,
      WORKER_CONCURRENCY: String(options.workerConcurrency ?? 4),
      ...dirs,
      ...redisEnv,
      ...options.workerEnv,
    };
    cleanups.push(() => Promise.all(workers.map((worker) => worker.kill())));
    const startWorkers = async (count: number) => {
      const first = workers.length + 1;
      const results = await Promise.allSettled(
        Array.from({ length: count }, (_, i) => launchWorker(`w${first + i}`, workerEnv)),
      );
      const fresh = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
      workers.push(...fresh);
      const failure = results.find((result) => result.status === 'rejected');
      if (failure) throw failure.reason;
      return fresh;
    };
    if (options.workers > 0) {
      log(`starting ${options.workers} worker process(es)`);
      await startWorkers(options.workers);
    }
    return {
      url,
      prefix,
      secret: TOPOLOGY_SECRET,
      tdb,
      source,
      haproxy,
      redis,
      servers,
      workers,
      redisMasters,
      signIn: () => signInThrough(url),
      startWorkers,
      stop: () => runCleanups(cleanups),
    };
  } catch (error) {
    await runCleanups(cleanups).catch(() => {});
    throw error;
  }
}
