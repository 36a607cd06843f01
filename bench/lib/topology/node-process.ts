// The topology's Node processes: the real server and worker each in a process of its own, run as
// production runs them, from their builds (or their main.ts under tsx's loader with
// BENCH_SERVER=tsx: app-build.ts), node itself so that a SIGKILL hits the process that runs the
// code, with their CPU time read from /proc.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  freePort,
  killHard,
  ROOT,
  type Spawned,
  spawnCollect,
  waitFor,
} from '../../../scripts/testing/processes.ts';
import { appEntry } from '../app-build.ts';

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

/** User + system CPU milliseconds a process has used so far (null once it is gone). */
export function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

export interface NodeProcess {
  /** s1, s2... for servers (haproxy's names), w1, w2... for workers. */
  name: string;
  pid: number;
  /** The process's own address: the server's HTTP port, or the worker's health port. */
  url: string;
  spawned: Spawned;
  /** CPU ms used so far; the last value read once it has exited. */
  cpuMs(): number;
  /** SIGKILL: no goodbye to anyone. */
  kill(): Promise<void>;
  /** SIGTERM: its own orderly stop (a worker hands its jobs back), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  alive(): boolean;
}

const QUIET_LINE = /^\s*$/;

/** A child's variables on top of this process's; `undefined` unsets one. */
export type ChildEnv = Record<string, string | undefined>;

async function launch(options: {
  name: string;
  app: 'server' | 'worker';
  port: number;
  env: ChildEnv;
  readyPath: string;
}): Promise<NodeProcess> {
  // This process's environment, with the topology's on top; an undefined value removes a variable.
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(options.env)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const spawned = spawnCollect(process.execPath, appEntry(options.app), {
    cwd: path.join(ROOT, 'apps', options.app),
    env,
  });
  const pid = spawned.child.pid!;
  let lastCpu = 0;
  const alive = () => spawned.child.exitCode === null && spawned.child.signalCode === null;
  const handle: NodeProcess = {
    name: options.name,
    pid,
    url: `http://127.0.0.1:${options.port}`,
    spawned,
    cpuMs() {
      const now = alive() ? processCpuMs(pid) : null;
      if (now !== null) lastCpu = now;
      return lastCpu;
    },
    kill: () => killHard(spawned),
    async stop(graceMs = 15_000) {
      if (!alive()) return;
      spawned.child.kill('SIGTERM');
      const timer = setTimeout(() => spawned.child.kill('SIGKILL'), graceMs);
      await spawned.exited;
      clearTimeout(timer);
    },
    alive,
  };
  try {
    await waitFor(
      async () => {
        if (!alive()) throw new Error('exited');
        return (await fetch(`${handle.url}${options.readyPath}`)).ok;
      },
      60_000,
      `${options.app} ${options.name} on port ${options.port}`,
    );
  } catch (error) {
    await handle.kill();
    const tail = spawned.lines.filter((line) => !QUIET_LINE.test(line)).slice(-20);
    throw new Error(`${options.app} ${options.name} did not start: ${String(error)}\n${tail.join('\n')}`);
  }
  return handle;
}

/** A server process on a free port; resolves once its /readyz answers 200 (MySQL and Redis). */
export async function launchServer(name: string, env: ChildEnv): Promise<NodeProcess> {
  const port = await freePort();
  return launch({
    name,
    app: 'server',
    port,
    env: { ...env, PORT: String(port), HOST: '127.0.0.1' },
    readyPath: '/readyz',
  });
}

/** A worker process; resolves once its /healthz (on a free port) answers 200. */
export async function launchWorker(name: string, env: ChildEnv): Promise<NodeProcess> {
  const port = await freePort();
  return launch({
    name,
    app: 'worker',
    port,
    env: {
      ...env,
      HEALTH_PORT: String(port),
      HEALTH_HOST: '127.0.0.1',
      WORKER_ID: `topology-${name}-${port}`,
    },
    readyPath: '/healthz',
  });
}
