/**
 * How busy the whole machine was, sampled from /proc while a page is measured, on the clock
 * Chromium's trace uses (CLOCK_MONOTONIC in µs, as process.hrtime): a long frame in the trace
 * can then be told apart as one the machine took (both cores busy with other processes while the
 * renderer waited) or one our own work took. Every SLICE_MS: the machine's busy share of its
 * cores (/proc/stat); every PROCESS_MS: the CPU each process used since the last look.
 */
import { readdir, readFile } from 'node:fs/promises';
import { cpus } from 'node:os';

const SLICE_MS = 20;
const PROCESS_MS = 250;
/** Linux's USER_HZ: /proc's CPU times are in these ticks. */
const TICKS_PER_SECOND = 100;

export interface MachineSlice {
  /** µs, trace clock. */
  at: number;
  /** Busy share of all cores since the previous slice, 0..1. */
  busy: number;
}

export interface ProcessSlice {
  at: number;
  /** Process name (comm) and pid -> ms of CPU since the previous look, busiest first. */
  top: Array<{ name: string; pid: number; ms: number }>;
}

export interface CpuSamples {
  cores: number;
  machine: MachineSlice[];
  processes: ProcessSlice[];
}

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

async function machineTicks(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0] ?? '';
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((sum, v) => sum + v, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

async function processTicks(): Promise<Map<number, { name: string; ticks: number }>> {
  const out = new Map<number, { name: string; ticks: number }>();
  const pids = (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry));
  await Promise.all(
    pids.map(async (pid) => {
      try {
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
        const close = stat.lastIndexOf(')');
        const name = stat.slice(stat.indexOf('(') + 1, close);
        const rest = stat.slice(close + 2).split(' ');
        // Fields 14 and 15 (utime, stime) are rest[11] and rest[12].
        out.set(Number(pid), { name, ticks: Number(rest[11]) + Number(rest[12]) });
      } catch {
        // The process ended between readdir and read.
      }
    }),
  );
  return out;
}

export function startCpuSampler(): { stop(): Promise<CpuSamples> } {
  const samples: CpuSamples = { cores: cpus().length, machine: [], processes: [] };
  let running = true;
  let stopped: Promise<CpuSamples> | null = null;
  const machineLoop = (async () => {
    let last = await machineTicks();
    while (running) {
      await new Promise((resolve) => setTimeout(resolve, SLICE_MS));
      const next = await machineTicks();
      const total = next.total - last.total;
      samples.machine.push({ at: nowUs(), busy: total > 0 ? (next.busy - last.busy) / total : 0 });
      last = next;
    }
  })();
  const processLoop = (async () => {
    let last = await processTicks();
    while (running) {
      await new Promise((resolve) => setTimeout(resolve, PROCESS_MS));
      const next = await processTicks();
      const top: ProcessSlice['top'] = [];
      for (const [pid, { name, ticks }] of next) {
        const used = ticks - (last.get(pid)?.ticks ?? ticks);
        if (used > 0) top.push({ name, pid, ms: (used * 1000) / TICKS_PER_SECOND });
      }
      top.sort((a, b) => b.ms - a.ms);
      samples.processes.push({ at: nowUs(), top: top.slice(0, 6) });
      last = next;
    }
  })();
  return {
    stop() {
      running = false;
      stopped ??= Promise.all([machineLoop, processLoop]).then(() => samples);
      return stopped;
    },
  };
}

/** The machine around a window [from, to] (trace µs): its busy share, and who used the CPU. */
export function machineDuring(samples: CpuSamples, from: number, to: number): string {
  // /proc/stat counts in 10 ms ticks: a slice of 20 ms is coarse, so widen to whole slices.
  const slices = samples.machine.filter((s) => s.at > from && s.at - SLICE_MS * 1000 < to);
  const busy = slices.length ? slices.reduce((sum, s) => sum + s.busy, 0) / slices.length : Number.NaN;
  const proc = samples.processes.find((s) => s.at >= to) ?? samples.processes[samples.processes.length - 1];
  const who = proc
    ? proc.top.map((p) => `${p.name}[${p.pid}] ${Math.round(p.ms)}`).join(', ')
    : 'no process sample';
  return `machine ${Number.isNaN(busy) ? '?' : Math.round(busy * 100)} % busy of ${samples.cores} cores (${slices.length} slices); CPU ms in the ${PROCESS_MS} ms around: ${who}`;
}

/** The whole window: the machine's busy share and the processes that used the most CPU. */
export function machineSummary(samples: CpuSamples): string {
  const busy = samples.machine.reduce((sum, s) => sum + s.busy, 0) / Math.max(1, samples.machine.length);
  const used = new Map<string, number>();
  for (const slice of samples.processes)
    for (const p of slice.top) used.set(`${p.name}[${p.pid}]`, (used.get(`${p.name}[${p.pid}]`) ?? 0) + p.ms);
  const seconds = Math.max(0.001, (samples.processes.length * PROCESS_MS) / 1000);
  const top = [...used]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([name, ms]) => `${name} ${Math.round(ms / seconds / 10)} %`)
    .join(', ');
  return `machine ${Math.round(busy * 100)} % busy of ${samples.cores} cores; per process (% of one core): ${top}`;
}
