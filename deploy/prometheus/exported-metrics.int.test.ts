import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createLogger } from '@paidflow/runtime';
import { startTestServer, type TestServer, waitFor } from '@paidflow/server/testing';
import { type RunningWorker, startWorker, testEnv } from '@paidflow/worker/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parse } from 'yaml';
import { type Exposed, parseExposition, problemsOf } from './promql.ts';
import { DASHBOARD, PROMETHEUS_DIR } from './tools.ts';

// Keeps the dashboard and the rules honest: every metric they query is exported by the real
// server's and a real worker's /metrics, with the label values they select.

let stack: TestServer;
let worker: RunningWorker;
let exposed: Exposed;
let families: string[] = [];

beforeAll(async () => {
  stack = await startTestServer('exported-metrics');
  worker = await startWorker(
    testEnv({
      REDIS_PREFIX: stack.prefix,
      HEALTH_HOST: '127.0.0.1',
      SERVER_URL: stack.server.url,
      WORKER_ID: 'metrics-worker',
    }),
    createLogger('silent'),
  );
  await worker.worker.waitUntilReady();
  const text = async (url: string) => (await fetch(`${url}/metrics`)).text();
  // The server sees the worker through its heartbeat: its gauges then read what a live stack has.
  await waitFor(async () => /^paidflow_workers\{state="up"\} 1$/m.test(await text(stack.server.url)));
  const texts = [await text(stack.server.url), await text(worker.health.url)];
  families = texts.flatMap((t) => [...t.matchAll(/^# TYPE (paidflow_\S+)/gm)].map((match) => match[1] ?? ''));
  const parts = texts.map(parseExposition);
  exposed = {
    names: new Set(parts.flatMap((part) => [...part.names])),
    samples: new Map(parts.flatMap((part) => [...part.samples])),
  };
});

afterAll(async () => {
  await worker?.close();
  await stack?.close();
});

interface Panel {
  title?: string;
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}

async function dashboardExprs(): Promise<Array<{ where: string; expr: string }>> {
  const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: Panel[] };
  const all = (panels: Panel[]): Panel[] => panels.flatMap((panel) => [panel, ...all(panel.panels ?? [])]);
  return all(dashboard.panels).flatMap((panel) =>
    (panel.targets ?? []).flatMap((target) =>
      target.expr ? [{ where: `panel "${panel.title}"`, expr: target.expr }] : [],
    ),
  );
}

async function ruleExprs(): Promise<Array<{ where: string; expr: string }>> {
  const rules = parse(await readFile(path.join(PROMETHEUS_DIR, 'alerts.yml'), 'utf8')) as {
    groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
  };
  return rules.groups.flatMap((group) =>
    group.rules.map((rule) => ({ where: `rule ${rule.alert}`, expr: rule.expr })),
  );
}

test('the scrapes hold the metrics the design names, with live values', () => {
  for (const name of [
    'paidflow_worker_queue_wait_seconds_bucket',
    'paidflow_worker_task_duration_seconds_bucket',
    'paidflow_webhook_duration_seconds_bucket',
    'paidflow_redis_memory_used_bytes',
    'paidflow_server_nodejs_eventloop_lag_p99_seconds',
    'paidflow_websocket_connections',
  ]) {
    expect(exposed.names, name).toContain(name);
  }
  expect(exposed.samples.get('paidflow_dependency_up')).toEqual([
    { dependency: 'mysql' },
    { dependency: 'redis' },
  ]);
  expect(exposed.samples.get('paidflow_workers')).toContainEqual({ state: 'up' });
});

test('every expression of the Grafana dashboard queries metrics the server or a worker exports', async () => {
  const exprs = await dashboardExprs();
  expect(exprs.length).toBeGreaterThanOrEqual(15);
  const problems = exprs.flatMap(({ where, expr }) => problemsOf(expr, exposed).map((p) => `${where}: ${p}`));
  expect(problems).toEqual([]);
});

test('every alert rule queries metrics the server or a worker exports', async () => {
  const exprs = await ruleExprs();
  expect(exprs.length).toBeGreaterThanOrEqual(10);
  const problems = exprs.flatMap(({ where, expr }) => problemsOf(expr, exposed).map((p) => `${where}: ${p}`));
  expect(problems).toEqual([]);
});

test('every metric of our own that the server and a worker export is documented in docs/metrics.md', async () => {
  const doc = await readFile(path.join(PROMETHEUS_DIR, '..', '..', 'docs', 'metrics.md'), 'utf8');
  // prom-client's default metrics are documented as a group.
  const ours = families.filter((name) => !/^paidflow_(server|worker)_(process|nodejs)_/.test(name));
  expect(ours.length).toBeGreaterThanOrEqual(30);
  expect(ours.filter((name) => !doc.includes(`\`${name}\``))).toEqual([]);
});
