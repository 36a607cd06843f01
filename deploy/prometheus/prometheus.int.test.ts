import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startTestServer, type TestServer, waitFor } from '@paidflow/server/testing';
import { afterAll, beforeAll, expect, test as vitestTest } from 'vitest';
import { PROMETHEUS, PROMETHEUS_DIR, requireBinary, SKIP_PROMETHEUS_TESTS } from './tools.ts';

// A real Prometheus scraping a real server every second, with the real rules, read back through
// its HTTP API. A worker target on a port nobody listens on makes one rule go off for real.

const test = vitestTest.skipIf(SKIP_PROMETHEUS_TESTS);

let stack: TestServer | undefined;
let prometheus: ChildProcess | undefined;
let dir: string | undefined;
let api = '';
let output = '';

interface ApiAnswer<T> {
  status: string;
  data: T;
}

async function query<T>(pathname: string, params: Record<string, string> = {}): Promise<T> {
  const url = new URL(pathname, api);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  const answer = (await (await fetch(url)).json()) as ApiAnswer<T>;
  if (answer.status !== 'success') throw new Error(`${url}: ${JSON.stringify(answer)}`);
  return answer.data;
}

beforeAll(async () => {
  if (SKIP_PROMETHEUS_TESTS) return;
  requireBinary(PROMETHEUS);
  stack = await startTestServer('prometheus');
  dir = await mkdtemp(path.join(tmpdir(), 'paidflow-prometheus-'));
  const deadWorker = await freePort();
  const config = [
    'global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }',
    `rule_files: ['${path.join(PROMETHEUS_DIR, 'alerts.yml')}']`,
    'scrape_configs:',
    `  - { job_name: paidflow-server, static_configs: [{ targets: ['127.0.0.1:${stack.server.port}'] }] }`,
    `  - { job_name: paidflow-worker, static_configs: [{ targets: ['127.0.0.1:${deadWorker}'] }] }`,
  ].join('\n');
  await writeFile(path.join(dir, 'prometheus.yml'), `${config}\n`);
  const port = await freePort();
  api = `http://127.0.0.1:${port}`;
  prometheus = spawn(
    PROMETHEUS,
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  prometheus.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  prometheus.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  await waitFor(
    async () => (await fetch(`${api}/-/ready`).catch(() => null))?.ok,
    20_000,
    'Prometheus to be ready',
  ).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}; its output:\n${output}`);
  });
});

afterAll(async () => {
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((resolve) => prometheus?.once('exit', resolve));
    prometheus.kill('SIGTERM');
    await exited;
  }
  await stack?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('Prometheus scrapes the server and reads back its MySQL reachability through /api/v1/query', async () => {
  type Vector = {
    resultType: string;
    result: Array<{ metric: Record<string, string>; value: [number, string] }>;
  };
  const found = await waitFor(
    async () => {
      const data = await query<Vector>('/api/v1/query', {
        query: 'paidflow_dependency_up{dependency="mysql"}',
      });
      return data.result.length > 0 ? data.result : null;
    },
    20_000,
    'a scraped series',
  );
  expect(found).toEqual([
    {
      metric: {
        __name__: 'paidflow_dependency_up',
        dependency: 'mysql',
        job: 'paidflow-server',
        instance: `127.0.0.1:${stack?.server.port}`,
      },
      value: [expect.any(Number), '1'],
    },
  ]);
});

test('the real rules load and evaluate without errors, and a dead worker target sets one off', async () => {
  type Rules = {
    groups: Array<{
      name: string;
      rules: Array<{ name: string; health: string; lastError?: string; state: string }>;
    }>;
  };
  const rules =
    (await waitFor(
      async () => {
        const data = await query<Rules>('/api/v1/rules', { type: 'alert' });
        const all = data.groups.flatMap((group) => group.rules);
        // Every rule evaluated at least once: none is still 'unknown'.
        return all.length > 0 && all.every((rule) => rule.health !== 'unknown') ? all : null;
      },
      20_000,
      'the rules to be evaluated',
    )) ?? [];
  expect(rules.length).toBeGreaterThanOrEqual(10);
  expect(rules.filter((rule) => rule.health !== 'ok')).toEqual([]);
  const down = await waitFor(
    async () => {
      const data = await query<Rules>('/api/v1/rules', { type: 'alert' });
      const rule = data.groups.flatMap((group) => group.rules).find((r) => r.name === 'PaidflowWorkerDown');
      return rule && rule.state !== 'inactive' ? rule : null;
    },
    20_000,
    'PaidflowWorkerDown to go pending',
  );
  expect(down?.state).toMatch(/pending|firing/);
  // The server is up and reaches MySQL and Redis: those rules stay quiet.
  const quiet = (await query<Rules>('/api/v1/rules', { type: 'alert' })).groups
    .flatMap((group) => group.rules)
    .filter((rule) => /ServerDown|MysqlDown|RedisDown/.test(rule.name));
  expect(quiet.map((rule) => rule.state)).toEqual(['inactive', 'inactive', 'inactive']);
});
