// What one phase of the scale benchmark cost: CPU of every process (from /proc), Redis commands
// and CPU (INFO on every master), MySQL statements and commits (global status), machine CPU.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Redis } from 'ioredis';
import type { Pool } from 'mysql2/promise';
import { processCpuMs, type Topology } from '../lib/topology.ts';

export interface Reading {
  at: number;
  /** CPU ms by process name: s1.., w1.., bench, mysqld. */
  cpu: Record<string, number>;
  /** Per Redis master (by port): commands run (INFO commandstats, our INFO calls left out) and CPU ms. */
  redis: Record<string, { calls: number; cpuMs: number }>;
  mysql: Record<string, number>;
  /** Busy and total jiffies of the whole machine. */
  machine: { busy: number; total: number };
}

export interface PhaseCost {
  seconds: number;
  /** CPU ms by process, and summed by role. */
  cpuMs: Record<string, number>;
  servers: number;
  workers: number;
  redisCalls: number;
  redisCpuMs: number;
  /** The busiest Redis master's CPU share of one core. */
  redisMaxCore: number;
  mysql: Record<string, number>;
  /** Busiest process of each kind, as a share of one core (MySQL: of every core). */
  utilization: Record<string, number>;
  machineBusy: number;
}

const MYSQL_STATUS = ['Questions', 'Com_commit', 'Com_select', 'Com_insert', 'Com_update', 'Com_delete'];

function mysqldPid(): number | null {
  for (const name of ['mariadbd', 'mysqld']) {
    try {
      const pid = Number(execFileSync('pidof', [name], { encoding: 'utf8' }).trim().split(' ')[0]);
      if (pid > 0) return pid;
    } catch {}
  }
  return null;
}

function machineJiffies(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.reduce((sum, value) => sum + value, 0);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  return { busy: total - idle, total };
}

function infoFields(text: string): Map<string, string> {
  return new Map(
    text
      .split(/\r?\n/)
      .filter((line) => line.includes(':') && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]),
  );
}

export interface Meter {
  read(): Promise<Reading>;
  close(): void;
}

export async function startMeter(topo: Topology, pool: Pool): Promise<Meter> {
  const mysqld = mysqldPid();
  const masters = await topo.redisMasters();
  const clients = masters.map(
    ({ host, port }) =>
      [String(port), new Redis({ host, port, lazyConnect: false, maxRetriesPerRequest: 2 })] as const,
  );
  for (const [, client] of clients) client.on('error', () => {});
  return {
    async read() {
      const cpu: Record<string, number> = {};
      for (const proc of [...topo.servers, ...topo.workers]) cpu[proc.name] = proc.cpuMs();
      cpu.bench = processCpuMs(process.pid) ?? 0;
      if (mysqld) cpu.mysqld = processCpuMs(mysqld) ?? 0;
      cpu.haproxy = processCpuMs(topo.haproxy.pid) ?? 0;
      const redis: Reading['redis'] = {};
      for (const [port, client] of clients) {
        const stats = infoFields(await client.info('commandstats'));
        let calls = 0;
        for (const [name, value] of stats) {
          if (name === 'cmdstat_info') continue;
          calls += Number(/calls=(\d+)/.exec(value)?.[1] ?? 0);
        }
        const cpuInfo = infoFields(await client.info('cpu'));
        const cpuMs = (Number(cpuInfo.get('used_cpu_sys')) + Number(cpuInfo.get('used_cpu_user'))) * 1000;
        redis[port] = { calls, cpuMs };
      }
      const [rows] = await pool.query('SHOW GLOBAL STATUS WHERE Variable_name IN (?)', [MYSQL_STATUS]);
      const mysql = Object.fromEntries(
        (rows as Array<{ Variable_name: string; Value: string }>).map((row) => [
          row.Variable_name,
          Number(row.Value),
        ]),
      );
      return { at: Date.now(), cpu, redis, mysql, machine: machineJiffies() };
    },
    close() {
      for (const [, client] of clients) client.disconnect();
    },
  };
}

/** The cost between two readings. */
export function phaseCost(from: Reading, to: Reading): PhaseCost {
  const seconds = (to.at - from.at) / 1000;
  const wallMs = to.at - from.at;
  const cpuMs: Record<string, number> = {};
  for (const [name, ms] of Object.entries(to.cpu)) cpuMs[name] = Math.round(ms - (from.cpu[name] ?? 0));
  const sum = (prefix: string) =>
    Object.entries(cpuMs)
      .filter(([name]) => new RegExp(`^${prefix}\\d+$`).test(name))
      .reduce((total, [, ms]) => total + ms, 0);
  const busiest = (prefix: string) =>
    Math.max(
      0,
      ...Object.entries(cpuMs)
        .filter(([name]) => new RegExp(`^${prefix}\\d+$`).test(name))
        .map(([, ms]) => ms / wallMs),
    );
  let redisCalls = 0;
  let redisCpuMs = 0;
  let redisMaxCore = 0;
  for (const [port, now] of Object.entries(to.redis)) {
    const before = from.redis[port] ?? { calls: 0, cpuMs: 0 };
    redisCalls += now.calls - before.calls;
    redisCpuMs += now.cpuMs - before.cpuMs;
    redisMaxCore = Math.max(redisMaxCore, (now.cpuMs - before.cpuMs) / wallMs);
  }
  const mysql: Record<string, number> = {};
  for (const [name, value] of Object.entries(to.mysql)) mysql[name] = value - (from.mysql[name] ?? 0);
  const machine = (to.machine.busy - from.machine.busy) / Math.max(1, to.machine.total - from.machine.total);
  const round = (value: number) => Math.round(value * 1000) / 1000;
  return {
    seconds,
    cpuMs,
    servers: sum('s'),
    workers: sum('w'),
    redisCalls,
    redisCpuMs: Math.round(redisCpuMs),
    redisMaxCore: round(redisMaxCore),
    mysql,
    utilization: {
      server: round(busiest('s')),
      worker: round(busiest('w')),
      redis: round(redisMaxCore),
      mysqld: round((cpuMs.mysqld ?? 0) / wallMs / os.availableParallelism()),
      bench: round((cpuMs.bench ?? 0) / wallMs),
      haproxy: round((cpuMs.haproxy ?? 0) / wallMs),
    },
    machineBusy: round(machine),
  };
}
