// The production build (decision 049): built once, then run with plain node, NODE_ENV=production,
// against a database of its own: migrate, create-admin, the server's and a worker's health.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { freePort, killHard, ROOT, type Spawned, spawnCollect, waitFor } from './testing/processes.ts';

// The db package's own driver: the root has no dependency of its own on it.
const mysql = createRequire(path.join(ROOT, 'packages/db/package.json'))('mysql2/promise');

const SERVER_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/';
const DATABASE = `paidflow_test_build_${randomBytes(4).toString('hex')}`;
const DATABASE_URL = new URL(DATABASE, SERVER_URL).toString();
const PREFIX = `test-build-${randomBytes(4).toString('hex')}`;
const SCRATCH = path.join(ROOT, '.paidflow', PREFIX);

/** A production environment with real (non-development) secrets, and nothing from this shell's. */
function productionEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: '/usr/bin:/bin',
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    DATABASE_URL,
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: PREFIX,
    WEBHOOK_SECRETS: 'a-production-webhook-secret',
    DELIVERY_SECRETS: 'a-production-delivery-secret',
    WORKER_TOKEN: 'a-production-worker-token-0123456789',
    PUBLIC_BASE_URL: 'https://paidflow.example.com',
    ...extra,
  };
}

const running: Spawned[] = [];

function runNode(entry: string, env: NodeJS.ProcessEnv): Spawned {
  const spawned = spawnCollect(process.execPath, [entry], { env });
  running.push(spawned);
  return spawned;
}

beforeAll(() => {
  const built = spawnSync(process.execPath, ['scripts/build.mjs', 'server', 'worker'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  expect(built.stderr).toBe('');
  expect(built.status).toBe(0);
}, 120_000);

afterAll(async () => {
  for (const spawned of running) await killHard(spawned);
  rmSync(SCRATCH, { recursive: true, force: true });
  const connection = await mysql.createConnection({ uri: SERVER_URL });
  await connection.query(`DROP DATABASE IF EXISTS \`${DATABASE}\``);
  await connection.end();
});

test('the built files are plain JavaScript that needs no tsx', () => {
  for (const file of [
    'apps/server/dist/main.js',
    'apps/worker/dist/main.js',
    'apps/server/dist/migrate.js',
    'apps/server/dist/create-db-user.js',
    'apps/server/dist/backup.js',
    'apps/server/dist/restore.js',
    'apps/server/dist/check-db.js',
  ]) {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    expect(text).not.toMatch(/from ["']tsx/);
    expect(text).not.toMatch(/from ["']@paidflow\//);
  }
});

test('the built migrate creates the database and applies the migrations from packages/db/drizzle', async () => {
  const migrate = runNode('apps/server/dist/migrate.js', productionEnv());
  expect(await migrate.exited).toBe(0);
  expect(migrate.lines.join('\n')).toContain(`database "${DATABASE}" is up to date`);
  const connection = await mysql.createConnection({ uri: DATABASE_URL });
  const [rows] = await connection.query('SELECT COUNT(*) AS n FROM __drizzle_migrations');
  await connection.end();
  expect(Number(rows[0].n)).toBeGreaterThanOrEqual(5);
});

test('the built create-admin adds an operator', async () => {
  const created = spawnSync(
    process.execPath,
    ['apps/server/dist/create-admin.js', '--email', 'ops@example.com', '--role', 'operator'],
    { cwd: ROOT, env: productionEnv({ ADMIN_PASSWORD: 'a-long-operator-password' }), encoding: 'utf8' },
  );
  expect(created.status, created.stderr).toBe(0);
  const connection = await mysql.createConnection({ uri: DATABASE_URL });
  const [rows] = await connection.query('SELECT role FROM admin_users WHERE email = ?', ['ops@example.com']);
  await connection.end();
  expect(rows).toEqual([{ role: 'operator' }]);
});

test('the built check-db reads the migrated database and finds it consistent', () => {
  const checked = spawnSync(process.execPath, ['apps/server/dist/check-db.js'], {
    cwd: ROOT,
    env: productionEnv(),
    encoding: 'utf8',
  });
  expect(checked.status, checked.stderr).toBe(0);
  expect(checked.stdout).toMatch(/check-db: consistent: \d+ orders checked, 0 with wrong counters/);
});

test('the built server and worker run with plain node in production and answer their health checks', async () => {
  const port = await freePort();
  const healthPort = await freePort();
  const server = runNode(
    'apps/server/dist/main.js',
    productionEnv({ PORT: String(port), HOST: '127.0.0.1' }),
  );
  await waitFor(
    async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200,
    20_000,
    `the server's /healthz (${server.lines.slice(-3).join(' | ')})`,
  );
  expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);

  const worker = runNode(
    'apps/worker/dist/main.js',
    productionEnv({
      SERVER_URL: `http://127.0.0.1:${port}`,
      HEALTH_PORT: String(healthPort),
      HEALTH_HOST: '127.0.0.1',
      WORKER_ID: 'build-test-worker',
      STORAGE_DIR: path.join(SCRATCH, 'storage'),
      DELIVERY_DIR: path.join(SCRATCH, 'delivery'),
    }),
  );
  await waitFor(
    async () => (await fetch(`http://127.0.0.1:${healthPort}/healthz`)).status === 200,
    20_000,
    `the worker's /healthz (${worker.lines.slice(-3).join(' | ')})`,
  );
  // An orderly stop: both exit 0 on SIGTERM.
  worker.child.kill('SIGTERM');
  expect(await worker.exited).toBe(0);
  server.child.kill('SIGTERM');
  expect(await server.exited).toBe(0);
  expect(server.lines.some((line) => line.includes('"level":50'))).toBe(false);
});

test('in production the built server and worker refuse the development secrets and say which', async () => {
  const dev = {
    WEBHOOK_SECRETS: 'dev-webhook-secret-change-me',
    DELIVERY_SECRETS: 'dev-delivery-secret-change-me',
    WORKER_TOKEN: 'dev-worker-token-change-me',
    PUBLIC_BASE_URL: '',
  };
  const env = productionEnv(dev);
  delete env.PUBLIC_BASE_URL;
  const server = runNode('apps/server/dist/main.js', env);
  // 78 (EX_CONFIG): the supervisor and systemd do not restart a refused configuration.
  expect(await server.exited).toBe(78);
  const said = server.lines.join('\n');
  for (const name of ['WEBHOOK_SECRETS', 'DELIVERY_SECRETS', 'WORKER_TOKEN', 'PUBLIC_BASE_URL']) {
    expect(said).toContain(`invalid environment variable ${name}`);
  }
  expect(said).not.toContain('dev-webhook-secret-change-me');
  const worker = runNode('apps/worker/dist/main.js', env);
  expect(await worker.exited).toBe(78);
  expect(worker.lines.join('\n')).toContain('invalid environment variable WORKER_TOKEN');
});
