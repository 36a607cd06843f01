// The benchmark's clients, spread over `procs` child processes (client-proc.ts) so that one
// process's event loop does not cap what a server can deliver. Each process's loop lag is kept.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nearestRank } from '../lib/stats.ts';
import type {
  ClientProcCommand,
  ClientProcMessage,
  ClientProcReport,
  ClientProcStart,
} from './client-proc.ts';

const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));

export interface FleetConfig extends Omit<ClientProcStart, 'type' | 'start' | 'end'> {
  procs: number;
}

/** What every client of one peer received, merged over the client processes. */
export interface FleetResult {
  progressReceived: number;
  orderProgressReceived: number;
  lastSeq: Array<Map<number, number>>;
  statusReceived: number[];
  completeReceived: number[];
  resyncs: number;
  /** Wall-clock ms of the first and the last live message. */
  firstAtMs: number;
  lastAtMs: number;
  latency: {
    progressP50Ms: number;
    progressP99Ms: number;
    progressMaxMs: number;
    /** p99 of the progress sent after the warm-up (warmup()). */
    steadyProgressP99Ms: number;
    statusP50Ms: number;
    statusP99Ms: number;
    /** The worst client process's loop lag p99. */
    clientLoopLagP99Ms: number;
  };
  /** Each client process's loop lag p99, in ms. */
  clientLoopLagP99MsPerProc: number[];
}

function merge(sorted: number[][]): number[] {
  return sorted.flat().sort((a, b) => a - b);
}

export class ClientFleet {
  readonly #children: ChildProcess[] = [];
  readonly #status: Array<{ ready: number; received: number }> = [];
  readonly #clients: number;
  /** The time origin of the publisher's timestamps, the same in every client process. */
  readonly epochMs: number;

  constructor(config: FleetConfig) {
    this.#clients = config.clients;
    this.epochMs = config.epochMs;
    const procs = Math.max(1, Math.min(config.procs, config.clients));
    for (let p = 0; p < procs; p++) {
      const start = Math.floor((config.clients * p) / procs);
      const end = Math.floor((config.clients * (p + 1)) / procs);
      const child = fork(`${BENCH_DIR}fanout/client-proc.ts`, [], {
        execArgv: ['--import', 'tsx'],
        cwd: BENCH_DIR,
      });
      this.#status.push({ ready: 0, received: 0 });
      child.on('message', (message: ClientProcMessage) => {
        if (message.type === 'status') this.#status[p] = { ready: message.ready, received: message.received };
      });
      child.once('exit', (code) => {
        if (code !== 0) console.error(`[fanout] client process ${p} exited with ${code}`);
      });
      const { procs: _procs, ...rest } = config;
      child.send({ type: 'start', ...rest, start, end } satisfies ClientProcCommand);
      this.#children.push(child);
    }
  }

  readyCount(): number {
    return this.#status.reduce((sum, status) => sum + status.ready, 0);
  }

  totalReceived(): number {
    return this.#status.reduce((sum, status) => sum + status.received, 0);
  }

  /** Progress sent `seconds` or more after the first one counts to the steady p99 as well. */
  warmup(seconds: number): void {
    for (const child of this.#children)
      child.send({ type: 'warmup', us: seconds * 1e6 } satisfies ClientProcCommand);
  }

  loopDelay(enabled: boolean): void {
    for (const child of this.#children) child.send({ type: 'loop', enabled } satisfies ClientProcCommand);
  }

  #ask<T extends ClientProcMessage['type']>(child: ChildProcess, command: ClientProcCommand, reply: T) {
    return new Promise<Extract<ClientProcMessage, { type: T }>>((resolve) => {
      const onMessage = (message: ClientProcMessage) => {
        if (message.type !== reply) return;
        child.off('message', onMessage);
        resolve(message as Extract<ClientProcMessage, { type: T }>);
      };
      child.on('message', onMessage);
      child.send(command);
    });
  }

  async collect(): Promise<FleetResult> {
    const reports: ClientProcReport[] = await Promise.all(
      this.#children.map((child) => this.#ask(child, { type: 'report' }, 'report')),
    );
    const lastSeq = Array.from({ length: this.#clients }, () => new Map<number, number>());
    const statusReceived = new Array<number>(this.#clients).fill(0);
    const completeReceived = new Array<number>(this.#clients).fill(0);
    for (const report of reports) {
      for (const [client, entries] of report.lastSeq) lastSeq[client] = new Map(entries);
      for (const [client, count] of report.statusReceived) statusReceived[client] = count;
      for (const [client, count] of report.completeReceived) completeReceived[client] = count;
    }
    const progress = merge(reports.map((report) => report.progressLatencyUs));
    const steady = merge(reports.map((report) => report.steadyLatencyUs));
    const status = merge(reports.map((report) => report.statusLatencyMs));
    const ms = (us: number) => Math.round(us / 10) / 100;
    const lags = reports.map((report) => report.loopLagP99Ms);
    const firsts = reports.map((report) => report.firstAtMs).filter((at) => at > 0);
    return {
      progressReceived: reports.reduce((sum, report) => sum + report.progressReceived, 0),
      orderProgressReceived: reports.reduce((sum, report) => sum + report.orderProgressReceived, 0),
      lastSeq,
      statusReceived,
      completeReceived,
      resyncs: reports.reduce((sum, report) => sum + report.resyncs, 0),
      firstAtMs: firsts.length > 0 ? Math.min(...firsts) : 0,
      lastAtMs: Math.max(0, ...reports.map((report) => report.lastAtMs)),
      latency: {
        progressP50Ms: ms(nearestRank(progress, 50)),
        progressP99Ms: ms(nearestRank(progress, 99)),
        progressMaxMs: ms(nearestRank(progress, 100)),
        steadyProgressP99Ms: ms(nearestRank(steady, 99)),
        statusP50Ms: nearestRank(status, 50),
        statusP99Ms: nearestRank(status, 99),
        clientLoopLagP99Ms: Math.max(0, ...lags),
      },
      clientLoopLagP99MsPerProc: lags,
    };
  }

  /** Forgets what was received so far (between the rates of a ramp). */
  reset(): void {
    for (const child of this.#children) child.send({ type: 'reset' } satisfies ClientProcCommand);
  }

  /** Closes every client (the processes unsubscribe and close their sockets), then they exit. */
  async close(): Promise<void> {
    await Promise.all(
      this.#children.map((child) =>
        child.exitCode === null ? this.#ask(child, { type: 'close' }, 'closed') : Promise.resolve(),
      ),
    );
  }
}
