import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test as vitestTest } from 'vitest';
import { parse } from 'yaml';
import { PROMETHEUS_DIR, PROMTOOL, requireBinary, SKIP_PROMETHEUS_TESTS } from './tools.ts';

const run = promisify(execFile);
const test = vitestTest.skipIf(SKIP_PROMETHEUS_TESTS);

async function promtool(...args: string[]): Promise<string> {
  requireBinary(PROMTOOL);
  const { stdout, stderr } = await run(PROMTOOL, args, { cwd: PROMETHEUS_DIR });
  return `${stdout}${stderr}`;
}

async function readYaml<T>(file: string): Promise<T> {
  return parse(await readFile(path.join(PROMETHEUS_DIR, file), 'utf8')) as T;
}

interface RulesFile {
  groups: Array<{ rules: Array<{ alert?: string }> }>;
}
interface RulesTest {
  tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] | null }> }>;
}

test('promtool accepts the Prometheus configuration and the rule file it names', async () => {
  expect(await promtool('check', 'config', 'prometheus.yml')).toMatch(/SUCCESS: prometheus\.yml is valid/);
});

test('promtool accepts the alert rules', async () => {
  expect(await promtool('check', 'rules', 'alerts.yml')).toMatch(/SUCCESS: \d+ rules found/);
});

test("every rule's unit tests pass under promtool test rules", async () => {
  expect(await promtool('test', 'rules', 'alerts.test.yml')).toMatch(/SUCCESS/);
});

vitestTest('every alert rule has a case where it fires and one where it stays quiet', async () => {
  const rules = await readYaml<RulesFile>('alerts.yml');
  const tests = await readYaml<RulesTest>('alerts.test.yml');
  const alerts = rules.groups.flatMap((group) => group.rules.flatMap((rule) => rule.alert ?? []));
  const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
  expect(alerts.length).toBeGreaterThanOrEqual(10);
  const missing = alerts.flatMap((alert) => {
    const mine = cases.filter((c) => c.alertname === alert);
    return [
      ...(mine.some((c) => (c.exp_alerts ?? []).length > 0) ? [] : [`${alert}: no firing case`]),
      ...(mine.some((c) => (c.exp_alerts ?? []).length === 0) ? [] : [`${alert}: no quiet case`]),
    ];
  });
  expect(missing).toEqual([]);
});

vitestTest(
  "the rules raise the app's own alert kinds (docs/alerts.md), every one, each linking to its section",
  async () => {
    const rules = await readYaml<{
      groups: Array<{ rules: Array<{ labels?: { kind?: string }; annotations?: { runbook?: string } }> }>;
    }>('alerts.yml');
    const kinds = new Set(rules.groups.flatMap((group) => group.rules.map((rule) => rule.labels?.kind)));
    const doc = await readFile(path.join(PROMETHEUS_DIR, '..', '..', 'docs', 'alerts.md'), 'utf8');
    const documented = [...doc.matchAll(/^\| `([a-z_]+)` \|/gm)].map((match) => match[1]);
    expect(documented.length).toBeGreaterThanOrEqual(10);
    expect(documented.filter((kind) => !kinds.has(kind))).toEqual([]);
    // Each rule's runbook link is a section of that document.
    const links = rules.groups.flatMap((group) => group.rules.map((rule) => rule.annotations?.runbook ?? ''));
    const anchors = links.flatMap((link) => /^docs\/alerts\.md#(.+)$/.exec(link)?.[1] ?? []);
    expect(anchors.length).toBe(documented.length);
    expect(anchors.filter((anchor) => !doc.includes(`\n### ${anchor}\n`))).toEqual([]);
  },
);
