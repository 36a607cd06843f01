// Forked by client-fleet.ts: opens the clients [start, end) of one peer in this process, records
// what they receive, and reports it. Indices are global, so each client keeps its order and cookie.
import { bareWsClient, type ClientPlan, type Closer, socketIoClient, trpcClient } from './clients.ts';
import { Recorder } from './recorder.ts';

export interface ClientProcStart {
  type: 'start';
  peer: 'trpc' | 'socketio' | 'ws';
  baseUrl: string;
  cookies: string[];
  orders: Array<{ orderId: number; taskIds: number[] }>;
  clients: number;
  start: number;
  end: number;
  epochMs: number;
}

export type ClientProcCommand =
  | ClientProcStart
  | { type: 'loop'; enabled: boolean }
  | { type: 'warmup'; us: number }
  | { type: 'report' }
  | { type: 'reset' }
  | { type: 'close' };

export interface ClientProcReport {
  type: 'report';
  progressLatencyUs: number[];
  steadyLatencyUs: number[];
  statusLatencyMs: number[];
  progressReceived: number;
  orderProgressReceived: number;
  /** Per client of this process: [client, [[task, last sequence]...]]. */
  lastSeq: Array<[number, Array<[number, number]>]>;
  statusReceived: Array<[number, number]>;
  completeReceived: Array<[number, number]>;
  resyncs: number;
  /** Wall-clock ms of the first and last live message (0 when none). */
  firstAtMs: number;
  lastAtMs: number;
  loopLagP99Ms: number;
}

export type ClientProcMessage =
  | { type: 'status'; ready: number; received: number }
  | ClientProcReport
  | { type: 'closed' };

const FACTORIES = { trpc: trpcClient, socketio: socketIoClient, ws: bareWsClient } as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const send = (message: ClientProcMessage) => process.send?.(message);

let recorder: Recorder | null = null;
let range: { start: number; end: number } = { start: 0, end: 0 };
const closers: Closer[] = [];
let statusTimer: NodeJS.Timeout | undefined;

async function start(config: ClientProcStart): Promise<void> {
  const rec = new Recorder(config.clients, config.epochMs);
  recorder = rec;
  range = { start: config.start, end: config.end };
  const plan: ClientPlan = {
    baseUrl: config.baseUrl,
    orderOf: (client) => config.orders[client % config.orders.length]!,
    cookies: config.cookies,
    recorder: rec,
  };
  statusTimer = setInterval(
    () => send({ type: 'status', ready: rec.readyCount(), received: rec.totalReceived() }),
    100,
  );
  for (let i = config.start; i < config.end; i++) {
    closers.push(FACTORIES[config.peer](plan, i));
    // Open connections in small bursts, as browsers arrive, not all in one tick.
    if ((i - config.start) % 50 === 49) {
      while (rec.readyCount() < i - config.start - 100) await sleep(50);
    }
  }
}

function report(rec: Recorder): ClientProcReport {
  const toWall = (at: number) => (at === 0 ? 0 : performance.timeOrigin + at);
  const mine = (values: number[]) =>
    values.slice(range.start, range.end).map((value, i): [number, number] => [range.start + i, value]);
  return {
    type: 'report',
    progressLatencyUs: Array.from(rec.progressLatencyUs.sorted()),
    steadyLatencyUs: Array.from(rec.steadyLatencyUs.sorted()),
    statusLatencyMs: Array.from(rec.statusLatencyMs.sorted()),
    progressReceived: rec.progressReceived,
    orderProgressReceived: rec.orderProgressReceived,
    lastSeq: rec.lastSeq
      .slice(range.start, range.end)
      .map((seen, i): [number, Array<[number, number]>] => [range.start + i, [...seen]]),
    statusReceived: mine(rec.statusReceived),
    completeReceived: mine(rec.completeReceived),
    resyncs: rec.resyncs,
    firstAtMs: toWall(rec.firstAt),
    lastAtMs: toWall(rec.lastAt),
    loopLagP99Ms: rec.latency().clientLoopLagP99Ms,
  };
}

process.on('message', (command: ClientProcCommand) => {
  if (command.type === 'start') {
    start(command).catch((error: unknown) => {
      console.error('[fanout] client process failed', error);
      process.exit(1);
    });
  } else if (command.type === 'loop' && recorder) {
    if (command.enabled) recorder.loopDelay.enable();
    else recorder.loopDelay.disable();
  } else if (command.type === 'warmup' && recorder) {
    recorder.warmupUs = command.us;
  } else if (command.type === 'report' && recorder) {
    send(report(recorder));
  } else if (command.type === 'reset' && recorder) {
    recorder.reset();
  } else if (command.type === 'close') {
    clearInterval(statusTimer);
    Promise.all(closers.map((close) => close()))
      .catch(() => {})
      .finally(() => {
        send({ type: 'closed' });
        process.exit(0);
      });
  }
});
