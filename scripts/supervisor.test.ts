// The supervisor of `npm start` / `npm run serve` with real child processes (tiny node scripts).
import path from 'node:path';
import { afterEach, expect, test } from 'vitest';
// @ts-expect-error: a plain Node module without type declarations
import { backoffDelay, RESTART_DEFAULTS, restartPolicyFromEnv, supervise } from './supervisor.mjs';
import { waitFor } from './testing/processes.ts';

const CHILD = path.join(import.meta.dirname, 'testing', 'child.mjs');

interface Heard {
  name: string;
  line: string;
  at: number;
}

interface Supervisor {
  started: Promise<void>;
  stop(): Promise<void>;
  killAll(): void;
  status(): Array<{ name: string; starts: number; running: boolean; gaveUp: boolean; pid: number | null }>;
}

let current: Supervisor | null = null;

afterEach(async () => {
  const stopping = current?.stop();
  current?.killAll();
  await stopping;
  current = null;
});

function child(name: string, mode: string, ms = 0, stop = { stopOrder: 0, stopTimeoutMs: 5_000 }) {
  return { name, command: process.execPath, args: [CHILD, mode, name, String(ms)], ...stop };
}

function start(children: unknown[], policy: Partial<typeof RESTART_DEFAULTS> = {}) {
  const heard: Heard[] = [];
  const logged: string[] = [];
  const supervisor: Supervisor = supervise({
    children,
    policy,
    log: (message: string) => logged.push(message),
    output: (name: string, line: string) => heard.push({ name, line, at: Date.now() }),
  });
  current = supervisor;
  const at = (name: string, line: string) =>
    heard.find((h) => h.name === name && h.line.startsWith(line))?.at;
  return { supervisor, heard, logged, at };
}

test('a crashed child is restarted with a doubling backoff, then given up on in a crash loop while the rest runs', async () => {
  const { supervisor, heard, logged } = start([child('crasher', 'crash', 20), child('steady', 'serve')], {
    maxRestarts: 3,
    windowMs: 60_000,
    backoffMs: 200,
    backoffMaxMs: 10_000,
  });
  await waitFor(() => logged.some((line) => line.includes('crash loop')), 15_000, 'the give-up');
  const starts = heard.filter((h) => h.name === 'crasher' && h.line.startsWith('started')).map((h) => h.at);
  expect(starts).toHaveLength(4);
  const gaps = starts.slice(1).map((at, i) => at - starts[i]!);
  // 200, 400, 800 ms of backoff, each on top of the child's own 20 ms and its start-up.
  expect(gaps[0]).toBeGreaterThanOrEqual(200);
  expect(gaps[1]).toBeGreaterThanOrEqual(400);
  expect(gaps[2]).toBeGreaterThanOrEqual(800);
  const delays = logged.map((line) => /restarting it in (\d+) ms/.exec(line)?.[1]).filter(Boolean);
  expect(delays).toEqual(['200', '400', '800']);
  expect(logged.filter((line) => line.includes('crasher exited unexpectedly'))).toHaveLength(3);
  expect(logged.find((line) => line.includes('restarting it in 400 ms'))).toContain('restart 2 of 3');
  expect(logged.at(-1)).toMatch(/crasher exited \(code 1\) after 3 restarts.*crash loop.*rest keeps running/);
  // Given up: it is not started again, and the steady child still runs, started once.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const status = supervisor.status();
  expect(status.find((s) => s.name === 'crasher')).toMatchObject({ starts: 4, running: false, gaveUp: true });
  expect(status.find((s) => s.name === 'steady')).toMatchObject({ starts: 1, running: true, gaveUp: false });
});

test('crashes further apart than the window never count as a crash loop', async () => {
  const { supervisor, logged } = start([child('slow-crasher', 'crash', 400)], {
    maxRestarts: 2,
    windowMs: 300,
    backoffMs: 50,
    backoffMaxMs: 1_000,
  });
  await waitFor(() => supervisor.status()[0]!.starts >= 5, 15_000, 'five starts');
  expect(supervisor.status()[0]!.gaveUp).toBe(false);
  expect(logged.some((line) => line.includes('crash loop'))).toBe(false);
  // The window forgets older restarts, so the backoff stays at its base.
  expect(logged.every((line) => !line.includes('restarting') || line.includes('in 50 ms'))).toBe(true);
});

test('a child refused by its configuration (exit 78) is not restarted, and says so', async () => {
  const { supervisor, logged } = start([child('misconfigured', 'config'), child('steady', 'serve')]);
  await waitFor(
    () => logged.some((line) => line.includes('refused its configuration')),
    5_000,
    'the refusal',
  );
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  expect(supervisor.status()[0]).toMatchObject({ starts: 1, gaveUp: true, running: false });
  expect(logged.some((line) => line.includes('restarting it in'))).toBe(false);
});

test('groups start in the reverse of the stop order, each once the one before is ready', async () => {
  let readyAsked = 0;
  const { supervisor, at, logged } = start([
    child('worker', 'serve', 0, { stopOrder: 0, stopTimeoutMs: 5_000 }),
    {
      ...child('server', 'serve', 0, { stopOrder: 1, stopTimeoutMs: 5_000 }),
      ready: async () => {
        readyAsked = Date.now();
        await waitFor(() => at('server', 'started'), 5_000, 'the server');
        await new Promise((resolve) => setTimeout(resolve, 500));
        return true;
      },
    },
    {
      ...child('broken', 'config', 0, { stopOrder: 2, stopTimeoutMs: 5_000 }),
      ready: () => new Promise(() => {}),
    },
  ]);
  await supervisor.started;
  await waitFor(() => at('worker', 'started'), 5_000, 'the worker');
  // The refused child ended its own readiness wait; the server was started after it.
  expect(at('broken', 'started')!).toBeLessThanOrEqual(at('server', 'started')!);
  expect(logged).toContain('!! broken not ready yet; starting the rest anyway');
  expect(at('worker', 'started')! - readyAsked).toBeGreaterThanOrEqual(500);
  expect(at('worker', 'started')!).toBeGreaterThan(at('server', 'started')!);
});

test('a command that cannot start counts as a crash: retried, then given up on', async () => {
  const { supervisor, logged } = start(
    [{ name: 'missing', command: '/nonexistent/binary', args: [], stopOrder: 0, stopTimeoutMs: 1_000 }],
    { maxRestarts: 2, windowMs: 60_000, backoffMs: 50, backoffMaxMs: 1_000 },
  );
  await waitFor(() => logged.some((line) => line.includes('crash loop')), 5_000, 'the give-up');
  expect(
    logged.filter((line) => line.includes('missing could not start: spawn /nonexistent/binary ENOENT')),
  ).toHaveLength(3);
  expect(supervisor.status()[0]).toMatchObject({ starts: 3, running: false, gaveUp: true });
});

test('stop goes group by group: each group gets SIGTERM only once the one before has exited', async () => {
  const { supervisor, at, logged } = start([
    child('course-source', 'serve', 50, { stopOrder: 3, stopTimeoutMs: 5_000 }),
    child('server', 'serve', 200, { stopOrder: 2, stopTimeoutMs: 5_000 }),
    child('worker-1', 'serve', 300, { stopOrder: 1, stopTimeoutMs: 5_000 }),
    child('worker-2', 'serve', 100, { stopOrder: 1, stopTimeoutMs: 5_000 }),
    child('demo-sender', 'serve', 200, { stopOrder: 0, stopTimeoutMs: 5_000 }),
  ]);
  await waitFor(
    () => supervisor.status().every((s) => s.pid !== null) && at('course-source', 'started'),
    5_000,
    'all started',
  );
  await waitFor(
    () => ['server', 'worker-1', 'worker-2', 'demo-sender'].every((n) => at(n, 'started')),
    5_000,
    'all started',
  );
  await supervisor.stop();
  const t = (name: string, line: string) => {
    const value = at(name, line);
    expect(value, `${name} ${line}`).toBeDefined();
    return value!;
  };
  expect(t('worker-1', 'stopping')).toBeGreaterThanOrEqual(t('demo-sender', 'stopped'));
  expect(t('worker-2', 'stopping')).toBeGreaterThanOrEqual(t('demo-sender', 'stopped'));
  // Both workers are asked together; the server waits for the slower one.
  expect(Math.abs(t('worker-1', 'stopping') - t('worker-2', 'stopping'))).toBeLessThan(150);
  expect(t('server', 'stopping')).toBeGreaterThanOrEqual(t('worker-1', 'stopped'));
  expect(t('course-source', 'stopping')).toBeGreaterThanOrEqual(t('server', 'stopped'));
  expect(supervisor.status().every((s) => !s.running && s.starts === 1)).toBe(true);
  expect(logged).toEqual([
    'stopping demo-sender',
    'stopping worker-1, worker-2',
    'stopping server',
    'stopping course-source',
    'every process has stopped',
  ]);
});

test("a group that outlives its timeout is killed and the next group's stop goes on", async () => {
  const { supervisor, at, logged } = start([
    child('stuck', 'stubborn', 0, { stopOrder: 0, stopTimeoutMs: 400 }),
    child('after', 'serve', 0, { stopOrder: 1, stopTimeoutMs: 5_000 }),
  ]);
  await waitFor(() => at('stuck', 'started') && at('after', 'started'), 5_000, 'both started');
  const began = Date.now();
  await supervisor.stop();
  expect(at('stuck', 'stopping')).toBeDefined();
  expect(logged).toContain('!! stuck did not stop within 400 ms: killing');
  expect(at('after', 'stopping')! - began).toBeGreaterThanOrEqual(400);
  expect(at('after', 'stopped')).toBeDefined();
  expect(supervisor.status().every((s) => !s.running)).toBe(true);
});

test('the restart policy comes from the environment and a bad value names its variable', () => {
  expect(restartPolicyFromEnv({})).toEqual(RESTART_DEFAULTS);
  expect(RESTART_DEFAULTS).toEqual({
    maxRestarts: 5,
    windowMs: 120_000,
    backoffMs: 1_000,
    backoffMaxMs: 30_000,
  });
  expect(
    restartPolicyFromEnv({ SUPERVISOR_MAX_RESTARTS: '10', SUPERVISOR_RESTART_WINDOW_MS: '60000' }),
  ).toMatchObject({
    maxRestarts: 10,
    windowMs: 60_000,
  });
  expect(() => restartPolicyFromEnv({ SUPERVISOR_BACKOFF_MS: 'soon' })).toThrow(
    'SUPERVISOR_BACKOFF_MS must be a whole number >= 0 (got "soon")',
  );
  expect(() => restartPolicyFromEnv({ SUPERVISOR_MAX_RESTARTS: '-1' })).toThrow('SUPERVISOR_MAX_RESTARTS');
  const policy = { ...RESTART_DEFAULTS, backoffMs: 1_000, backoffMaxMs: 30_000 };
  expect([0, 1, 2, 3, 4, 5, 6].map((n) => backoffDelay(policy, n))).toEqual([
    1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
  ]);
});
