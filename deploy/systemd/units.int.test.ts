// The systemd units, checked by systemd's own `systemd-analyze verify` (decision 049). verify
// needs each ExecStart binary to exist, so it checks a copy with /usr/bin/node replaced by this
// node and /opt/paidflow by this checkout. A warning (an unknown key, a bad value) fails too:
// verify itself only fails on errors.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
// @ts-expect-error: a plain Node module without type declarations
import { TARGETS } from '../../scripts/build.mjs';
import { ROOT } from '../../scripts/testing/processes.ts';

const ANALYZE = '/usr/bin/systemd-analyze';
const UNITS = path.join(ROOT, 'deploy', 'systemd');
const FILES = readdirSync(UNITS).filter((name) => /\.(service|target)$/.test(name));
const available = existsSync(ANALYZE);
if (!available) {
  console.warn(`${ANALYZE} is missing (Debian's systemd package; npm test installs it): skipping`);
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'paidflow-units-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function unitText(name: string): string {
  return readFileSync(path.join(UNITS, name), 'utf8');
}

/** A unit's copy for verify: this machine's node and this checkout in place of the install's. */
function localCopy(text: string): string {
  return text.replaceAll('/usr/bin/node', process.execPath).replaceAll('/opt/paidflow', ROOT);
}

/** Writes the units (`paidflow-worker@.service` as its instance `@1`) and runs verify on them. */
function verify(units: Record<string, string>) {
  const sub = mkdtempSync(path.join(dir, 'v-'));
  const names = [];
  for (const [name, text] of Object.entries(units)) {
    const file = name.replace('@.service', '@1.service');
    writeFileSync(path.join(sub, file), localCopy(text));
    names.push(`./${file}`);
  }
  const run = spawnSync(ANALYZE, ['verify', ...names], { cwd: sub, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}

/** A unit's `Key=value` settings. */
function settings(text: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (match) found.set(match[1]!, [...(found.get(match[1]!) ?? []), match[2]!]);
  }
  return found;
}

test.skipIf(!available)('systemd-analyze verify accepts every unit, without a warning', () => {
  expect(FILES).toEqual(
    expect.arrayContaining([
      'paidflow-migrate.service',
      'paidflow-server.service',
      'paidflow-worker@.service',
      'paidflow.target',
    ]),
  );
  const result = verify(Object.fromEntries(FILES.map((name) => [name, unitText(name)])));
  expect(result.output).toBe('');
  expect(result.status).toBe(0);
});

test.skipIf(!available)(
  'verify fails on a broken unit: a missing binary, an unknown key, a bad value',
  () => {
    const server = unitText('paidflow-server.service');
    const broken = {
      'a missing binary': server.replace('/usr/bin/node', '/nonexistent/node'),
      'an unknown key': server.replace('ProtectSystem=strict', 'ProtectSystm=strict'),
      'a bad value': server.replace('ProtectSystem=strict', 'ProtectSystem=stricter'),
      'no ExecStart': server.replace(/^ExecStart=.*$/m, ''),
    };
    for (const [what, text] of Object.entries(broken)) {
      expect(text, what).not.toBe(server);
      const result = verify({ 'paidflow-server.service': text });
      expect(result.output, what).not.toBe('');
    }
    expect(verify({ 'paidflow-server.service': broken['a missing binary'] }).output).toContain(
      'Command /nonexistent/node is not executable',
    );
  },
);

test('each unit runs a file the build writes, as the paidflow user, hardened, with its environment from a file', () => {
  const built = Object.values(TARGETS as Record<string, Array<{ out: string }>>)
    .flat()
    .map((target) => `/opt/paidflow/${target.out}`);
  for (const name of FILES.filter((file) => file.endsWith('.service'))) {
    const unit = settings(unitText(name));
    const [binary, script] = unit.get('ExecStart')![0]!.split(' ');
    expect(binary, name).toBe('/usr/bin/node');
    expect(built, name).toContain(script);
    expect(unit.get('User'), name).toEqual(['paidflow']);
    expect(unit.get('EnvironmentFile'), name).toContain('/etc/paidflow/paidflow.env');
    expect(unit.get('Environment'), name).toContain('NODE_ENV=production');
    for (const [key, value] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
      ['CapabilityBoundingSet', ''],
    ]) {
      expect(unit.get(key!), `${name} ${key}`).toEqual([value]);
    }
  }
  const worker = settings(unitText('paidflow-worker@.service'));
  expect(worker.get('Restart')).toEqual(['always']);
  expect(settings(unitText('paidflow-server.service')).get('Restart')).toEqual(['always']);
  expect(worker.get('Environment')).toContain('WORKER_ID=%H-worker-%i');
  expect(worker.get('EnvironmentFile')).toContain('/etc/paidflow/worker-%i.env');
  expect(worker.get('ReadWritePaths')).toEqual(['/var/lib/paidflow']);
});

test("the worker unit's stop timeout outlasts the worker's own shutdown (its grace + 15 s)", () => {
  // The worker's default grace, from its own configuration.
  const read = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      "const m = await import('./src/env.ts'); console.log(m.testEnv().WORKER_SHUTDOWN_GRACE_MS)",
    ],
    { cwd: path.join(ROOT, 'apps', 'worker'), encoding: 'utf8' },
  );
  expect(read.status, read.stderr).toBe(0);
  const graceMs = Number(read.stdout.trim());
  expect(graceMs).toBeGreaterThan(0);
  const timeout = settings(unitText('paidflow-worker@.service')).get('TimeoutStopSec')![0]!;
  const timeoutMs = Number(/^(\d+)s$/.exec(timeout)![1]) * 1000;
  expect(timeoutMs).toBeGreaterThan(graceMs + 15_000);
  expect(timeoutMs).toBeLessThanOrEqual(graceMs + 30_000);
});
