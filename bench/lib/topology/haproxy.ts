// haproxy for the topology harness: the committed deploy/haproxy/haproxy.cfg itself, its addresses
// given by its environment variables, and its runtime API (the admin socket) to read stats and
// drain servers.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  freePort,
  killHard,
  ROOT,
  type Spawned,
  spawnCollect,
  waitFor,
} from '../../../scripts/testing/processes.ts';

export const HAPROXY = '/usr/sbin/haproxy';
export const HAPROXY_CONFIG = path.join(ROOT, 'deploy', 'haproxy', 'haproxy.cfg');
/** The server slots of the committed config (s1..s3). */
export const HAPROXY_SLOTS = 3;
const BACKEND = 'paidflow_servers';
const MAX_CONNECTIONS = 8000;

/** One row of `show stat` (a frontend, a backend or a server), by its CSV column names. */
export type HaproxyStat = Record<string, string>;

export interface Haproxy {
  /** Where clients connect: http://127.0.0.1:<port>. */
  url: string;
  pid: number;
  spawned: Spawned;
  /** One runtime API command; resolves with haproxy's answer. */
  command(line: string): Promise<string>;
  /** `show stat` of the servers of the backend, keyed by name (s1..s3). */
  serverStats(): Promise<Map<string, HaproxyStat>>;
  /** `set server paidflow_servers/<name> state <state>`. */
  setState(name: string, state: 'ready' | 'drain' | 'maint'): Promise<void>;
  stop(): Promise<void>;
}

function adminCommand(socketPath: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ path: socketPath });
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.once('error', reject);
    socket.once('close', () => resolve(answer));
    socket.once('connect', () => socket.end(`${line}\n`));
  });
}

export function parseStat(csv: string): HaproxyStat[] {
  const lines = csv.split('\n').filter((line) => line.trim().length > 0);
  const header = lines.shift()?.replace(/^#\s*/, '').split(',');
  if (!header) return [];
  return lines.map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(header.map((name, i) => [name, cells[i] ?? '']));
  });
}

/**
 * Starts haproxy in the foreground on `listenPort` (else a free port) in front of `servers` (HOST:PORT, 1 to 3). The
 * config's unused slots point at a port nothing listens on and are put in maintenance before
 * this resolves, so that no request meets them; it resolves once every used slot is UP.
 */
export async function startHaproxy(servers: string[], listenPort?: number): Promise<Haproxy> {
  // Said at once: a spawn of a missing binary would only time out below, leaving its servers up.
  if (!existsSync(HAPROXY))
    throw new Error(`${HAPROXY} is missing: install Debian's haproxy package (npm test installs it)`);
  if (servers.length < 1 || servers.length > HAPROXY_SLOTS)
    throw new Error(`haproxy.cfg has ${HAPROXY_SLOTS} server slots, not ${servers.length}`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'paidflow-haproxy-'));
  const socketPath = path.join(dir, 'admin.sock');
  const port = listenPort ?? (await freePort());
  const unused = `127.0.0.1:${await freePort()}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    PAIDFLOW_LISTEN: `127.0.0.1:${port}`,
    PAIDFLOW_ADMIN_SOCKET: socketPath,
  };
  for (let slot = 1; slot <= HAPROXY_SLOTS; slot++)
    env[`PAIDFLOW_SERVER_${slot}`] = servers[slot - 1] ?? unused;
  // -db: foreground, logs (one line per request) on stdout. -n: the config's maxconn (20000) needs
  // twice as many file descriptors as a container's hard limit (often 20000) allows; a test or a
  // bench holds a few thousand connections at most.
  const spawned = spawnCollect(HAPROXY, ['-db', '-n', String(MAX_CONNECTIONS), '-f', HAPROXY_CONFIG], {
    cwd: dir,
    env,
  });
  let exited = false;
  void spawned.exited.then(() => {
    exited = true;
  });
  const command = (line: string) => adminCommand(socketPath, line);
  const stop = async () => {
    await killHard(spawned);
    await rm(dir, { recursive: true, force: true });
  };
  const serverStats = async () => {
    const rows = parseStat(await command('show stat'));
    return new Map(
      rows
        .filter((row) => row.pxname === BACKEND && /^s\d+$/.test(row.svname ?? ''))
        .map((row) => [row.svname!, row]),
    );
  };
  const setState = async (name: string, state: 'ready' | 'drain' | 'maint') => {
    const answer = await command(`set server ${BACKEND}/${name} state ${state}`);
    if (answer.trim()) throw new Error(`haproxy refused state ${state} for ${name}: ${answer.trim()}`);
  };
  try {
    await waitFor(
      async () => {
        if (exited) return 'exited';
        return (await command('show info')).includes('Pid:') && 'up';
      },
      10_000,
      'the haproxy admin socket',
    ).then((state) => {
      if (state === 'exited') throw new Error(`haproxy exited:\n${spawned.lines.join('\n')}`);
    });
    for (let slot = servers.length + 1; slot <= HAPROXY_SLOTS; slot++) await setState(`s${slot}`, 'maint');
    await waitFor(
      async () => {
        const stats = await serverStats();
        return servers.every((_, i) => stats.get(`s${i + 1}`)?.status === 'UP');
      },
      20_000,
      'haproxy to see every server UP',
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    pid: spawned.child.pid!,
    spawned,
    command,
    serverStats,
    setState,
    stop,
  };
}
