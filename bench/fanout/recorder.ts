import { monitorEventLoopDelay } from 'node:perf_hooks';
import { nearestRank } from '../lib/stats.ts';

/** Microseconds since the run's epoch, comparable across processes (wall clock based). */
export function nowUs(epochMs: number): number {
  return (performance.timeOrigin + performance.now() - epochMs) * 1000;
}

const LOOP_RESOLUTION_MS = 1;

class Samples {
  #data = new Float64Array(1 << 16);
  #size = 0;
  clear(): void {
    this.#size = 0;
  }
  push(value: number): void {
    if (this.#size === this.#data.length) {
      const bigger = new Float64Array(this.#data.length * 2);
      bigger.set(this.#data);
      this.#data = bigger;
    }
    this.#data[this.#size++] = value;
  }
  sorted(): Float64Array {
    return this.#data.slice(0, this.#size).sort();
  }
}

/** What every client of one peer received: latencies, counts, and the last progress per task. */
export class Recorder {
  readonly progressLatencyUs = new Samples();
  /** The same, for messages sent `warmupUs` or more after the first one: without the first seconds. */
  readonly steadyLatencyUs = new Samples();
  warmupUs = Number.POSITIVE_INFINITY;
  #firstSentUs = Number.POSITIVE_INFINITY;
  readonly statusLatencyMs = new Samples();
  progressReceived = 0;
  /** order:{id}:progress messages (tRPC only: the server's order progress relay, decision 043). */
  orderProgressReceived = 0;
  readonly lastSeq: Array<Map<number, number>>;
  readonly statusReceived: number[];
  readonly completeReceived: number[];
  readonly ready: boolean[];
  /** Snapshots after the first (reconnects, resyncs): each means the stream started over. */
  resyncs = 0;
  /** When the first and the last live message arrived (performance.now()). */
  firstAt = 0;
  lastAt = 0;
  /** The client process's event loop: how late its 1 ms timer ran (see latency()). */
  readonly loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });

  constructor(
    readonly clients: number,
    readonly epochMs: number,
  ) {
    this.lastSeq = Array.from({ length: clients }, () => new Map());
    this.statusReceived = new Array(clients).fill(0);
    this.completeReceived = new Array(clients).fill(0);
    this.ready = new Array(clients).fill(false);
  }

  /** Forgets what was received (between the rates of a ramp); the clients stay ready. */
  reset(): void {
    this.progressLatencyUs.clear();
    this.steadyLatencyUs.clear();
    this.#firstSentUs = Number.POSITIVE_INFINITY;
    this.statusLatencyMs.clear();
    this.progressReceived = 0;
    this.orderProgressReceived = 0;
    for (const seen of this.lastSeq) seen.clear();
    this.statusReceived.fill(0);
    this.completeReceived.fill(0);
    this.resyncs = 0;
    this.firstAt = 0;
    this.lastAt = 0;
    this.loopDelay.reset();
  }

  #seen(): void {
    this.lastAt = performance.now();
    if (this.firstAt === 0) this.firstAt = this.lastAt;
  }

  progress(client: number, data: { taskId: number; bytesDone: number; bytesTotal: number }): void {
    this.#seen();
    this.progressReceived++;
    // The publisher sends its send time (µs since the epoch) as bytesDone.
    const latencyUs = nowUs(this.epochMs) - data.bytesDone;
    this.progressLatencyUs.push(latencyUs);
    this.#firstSentUs = Math.min(this.#firstSentUs, data.bytesDone);
    if (data.bytesDone - this.#firstSentUs >= this.warmupUs) this.steadyLatencyUs.push(latencyUs);
    const seen = this.lastSeq[client]!;
    if ((seen.get(data.taskId) ?? 0) < data.bytesTotal) seen.set(data.taskId, data.bytesTotal);
  }

  status(client: number, data: { timestamp: number }): void {
    this.#seen();
    this.statusReceived[client]!++;
    this.statusLatencyMs.push(Date.now() - data.timestamp);
  }

  complete(client: number): void {
    this.#seen();
    this.completeReceived[client]!++;
  }

  totalReceived(): number {
    let total = this.progressReceived;
    for (let i = 0; i < this.clients; i++) total += this.statusReceived[i]! + this.completeReceived[i]!;
    return total;
  }

  readyCount(): number {
    return this.ready.filter(Boolean).length;
  }

  latency() {
    const progress = this.progressLatencyUs.sorted();
    const status = this.statusLatencyMs.sorted();
    const ms = (us: number) => Math.round(us / 10) / 100;
    return {
      progressP50Ms: ms(nearestRank(progress, 50)),
      progressP99Ms: ms(nearestRank(progress, 99)),
      progressMaxMs: ms(nearestRank(progress, 100)),
      statusP50Ms: nearestRank(status, 50),
      statusP99Ms: nearestRank(status, 99),
      // The histogram records the whole interval between timer runs (an idle loop reads the
      // resolution itself): the lag is what exceeds it.
      clientLoopLagP99Ms: Math.max(
        0,
        Math.round((this.loopDelay.percentile(99) / 1e6 - LOOP_RESOLUTION_MS) * 100) / 100,
      ),
    };
  }
}
