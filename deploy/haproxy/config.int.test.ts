// The committed haproxy config, checked by Debian's haproxy itself (`haproxy -c`), with its
// defaults and with a test's own addresses, and held to what decision 057 needs of it.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import { ROOT } from '../../scripts/testing/processes.ts';

const HAPROXY = '/usr/sbin/haproxy';
const CONFIG = path.join(ROOT, 'deploy', 'haproxy', 'haproxy.cfg');
const skip = process.env.SKIP_HAPROXY_TESTS === '1';
if (skip) console.warn('SKIP_HAPROXY_TESTS=1: skipping the haproxy config checks');
else if (!existsSync(HAPROXY))
  throw new Error(
    `${HAPROXY} is missing: apt-get install -y haproxy (npm test installs it), or set SKIP_HAPROXY_TESTS=1`,
  );

function check(env: Record<string, string>) {
  const run = spawnSync(HAPROXY, ['-c', '-f', CONFIG], {
    cwd: os.tmpdir(),
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}

test.skipIf(skip)('haproxy accepts the committed config, with its defaults and with test addresses', () => {
  expect(check({})).toMatchObject({
    status: 0,
    output: expect.stringContaining('Configuration file is valid'),
  });
  const ours = check({
    PAIDFLOW_LISTEN: '127.0.0.1:18080',
    PAIDFLOW_SERVER_1: '127.0.0.1:18081',
    PAIDFLOW_SERVER_2: '127.0.0.1:18082',
    PAIDFLOW_SERVER_3: '127.0.0.1:18083',
    PAIDFLOW_ADMIN_SOCKET: path.join(os.tmpdir(), 'paidflow-haproxy-check.sock'),
  });
  expect(ours.status, ours.output).toBe(0);
  expect(ours.output).not.toMatch(/WARNING/i);
  // A bad address is refused: the check really reads the variables.
  expect(check({ PAIDFLOW_SERVER_2: 'not-an-address:port' }).status).not.toBe(0);
});

test('three servers, no stickiness, readiness checks, WebSocket tunnels and one X-Forwarded-For hop', () => {
  const text = readFileSync(CONFIG, 'utf8').replace(/#.*$/gm, '');
  expect(text.match(/^\s*server s\d "\$\{PAIDFLOW_SERVER_\d\}"/gm)).toHaveLength(3);
  expect(text).not.toMatch(/\bcookie\b|stick-table|stick on|balance source/);
  expect(text).toMatch(/http-check send meth GET uri \/readyz/);
  expect(text).toMatch(/timeout tunnel \d+/);
  expect(text).toMatch(/http-request del-header X-Forwarded-For\s+option forwardfor/);
  expect(text).toMatch(/option redispatch/);
});
