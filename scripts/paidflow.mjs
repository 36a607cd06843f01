#!/usr/bin/env node
// The entry behind `npm start`, `npm test` and the other root scripts. It runs with nothing but
// Node.js: it bootstraps pnpm, installs dependencies, makes sure MySQL and Redis answer (starting
// local ones that are installed but stopped), then hands over to the workspace.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PNPM_VERSION = '12.4.2';
const DEFAULTS = {
  DATABASE_URL: 'mysql://root@127.0.0.1:3306/paidflow',
  REDIS_URL: 'redis://127.0.0.1:6379',
};

function log(message) {
  console.log(`[paidflow] ${message}`);
}

function fail(message) {
  console.error(`[paidflow] ${message}`);
  process.exit(1);
}

function loadDotEnv() {
  const file = path.join(ROOT, '.env');
  if (existsSync(file)) process.loadEnvFile(file);
  for (const [key, value] of Object.entries(DEFAULTS)) process.env[key] ??= value;
}

function commandVersion(command, args = ['--version']) {
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return result.status === 0 ? result.stdout.trim() : null;
}

/** pnpm at the pinned major, installed globally with npm when missing. */
function ensurePnpm() {
  const version = commandVersion('pnpm');
  if (version?.startsWith(`${PNPM_VERSION.split('.')[0]}.`)) return;
  log(`pnpm ${PNPM_VERSION} is missing (found ${version ?? 'none'}): installing it with npm`);
  const result = spawnSync('npm', ['install', '-g', `pnpm@${PNPM_VERSION}`], { stdio: 'inherit' });
  if (result.status !== 0 || !commandVersion('pnpm')) {
    fail(`could not install pnpm; run "npm install -g pnpm@${PNPM_VERSION}" and try again`);
  }
}

function pnpm(args, options = {}) {
  const result = spawnSync('pnpm', args, { cwd: ROOT, stdio: 'inherit', ...options });
  if (result.status !== 0) {
    fail(`"pnpm ${args.join(' ')}" failed (exit ${result.status ?? result.signal})`);
  }
}

function installDependencies() {
  // --frozen-lockfile: a fresh clone gets exactly the committed versions. Fast when up to date.
  pnpm(['install', '--frozen-lockfile', '--reporter=append-only'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

function portAnswers(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function waitForPort(host, port, seconds) {
  for (let i = 0; i < seconds * 4; i++) {
    if (await portAnswers(host, port, 250)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

const SERVICES = [
  {
    name: 'MySQL/MariaDB',
    url: () => new URL(process.env.DATABASE_URL),
    defaultPort: 3306,
    binaries: ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'],
    start: (binary) => ['start-stop-daemon', ['--start', '--oknodo', '--background', '--exec', binary]],
    install: 'apt-get install -y mariadb-server   (or install MySQL 8 and set DATABASE_URL)',
  },
  {
    name: 'Redis',
    url: () => new URL(process.env.REDIS_URL),
    defaultPort: 6379,
    binaries: ['/usr/bin/redis-server', '/usr/local/bin/redis-server'],
    start: (binary, port) => [
      binary,
      [
        '--daemonize',
        'yes',
        '--bind',
        '127.0.0.1',
        '--port',
        String(port),
        '--save',
        '',
        '--appendonly',
        'no',
      ],
    ],
    install: 'apt-get install -y redis-server',
  },
];

/**
 * With REDIS_CLUSTER_NODES the Redis is a cluster someone else runs (docs/deploy.md): nothing to
 * start here, but a clear stop when none of its nodes answers rather than a hang at the first command.
 */
async function ensureClusterNodes(list) {
  const nodes = list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const node of nodes) {
    const [host, port] = [
      node.slice(0, node.lastIndexOf(':')),
      Number(node.slice(node.lastIndexOf(':') + 1)),
    ];
    if (await portAnswers(host, port)) return;
  }
  fail(`no node of REDIS_CLUSTER_NODES (${nodes.join(', ')}) answers; start the Redis Cluster and try again`);
}

async function ensureServices() {
  for (const service of SERVICES) {
    if (service.name === 'Redis' && process.env.REDIS_CLUSTER_NODES) {
      await ensureClusterNodes(process.env.REDIS_CLUSTER_NODES);
      continue;
    }
    const url = service.url();
    const host = url.hostname;
    const port = Number(url.port || service.defaultPort);
    if (await portAnswers(host, port)) continue;
    if (!LOCAL_HOSTS.has(host))
      fail(`${service.name} does not answer at ${host}:${port}; start it and try again`);
    const binary = service.binaries.find((candidate) => existsSync(candidate));
    if (!binary)
      fail(
        `${service.name} is not installed and nothing answers on ${host}:${port}. Install it: ${service.install}`,
      );
    log(`${service.name} is installed but stopped: starting ${binary}`);
    const [command, args] = service.start(binary, port);
    spawnSync(command, args, { stdio: 'inherit' });
    if (!(await waitForPort(host, port, 30)))
      fail(`${service.name} did not come up on ${host}:${port} within 30 s`);
  }
}

async function prepare() {
  ensurePnpm();
  installDependencies();
  loadDotEnv();
  await ensureServices();
}

/** Runs a long-lived child and forwards signals so that Ctrl-C stops it cleanly. */
function runForeground(command, args) {
  const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

/** What run-modes.mjs (`npm start`, `npm run build`, `npm run serve`) and test-mode.mjs need from here. */
function runContext() {
  return { log, fail, pnpm, ensurePnpm, installDependencies, loadDotEnv, ensureServices, waitForPort };
}

const [command = 'help', ...rest] = process.argv.slice(2);

switch (command) {
  case 'test': {
    await prepare();
    const { test } = await import('./test-mode.mjs');
    test(runContext(), rest);
    break;
  }
  case 'migrate': {
    await prepare();
    pnpm(['--filter', '@paidflow/db', 'run', 'migrate']);
    break;
  }
  case 'seed': {
    await prepare();
    pnpm(['--filter', '@paidflow/db', 'run', 'migrate']);
    pnpm(['--filter', '@paidflow/db', 'run', 'seed', ...rest]);
    break;
  }
  case 'create-admin': {
    // npm run create-admin -- --email a@b.c --role operator   (password: ADMIN_PASSWORD or stdin)
    await prepare();
    pnpm(['--filter', '@paidflow/db', 'run', 'migrate']);
    runForeground('pnpm', [
      '--filter',
      '@paidflow/server',
      'exec',
      'tsx',
      'src/cli/create-admin.ts',
      ...rest,
    ]);
    break;
  }
  case 'create-db-user': {
    // npm run create-db-user -- --user NAME [--host %] [--database NAME]   (docs/security.md;
    // password: DB_USER_PASSWORD or stdin; as the owner: MIGRATION_DATABASE_URL, else DATABASE_URL)
    await prepare();
    pnpm(['--filter', '@paidflow/db', 'run', 'migrate']);
    runForeground('pnpm', ['--filter', '@paidflow/db', 'exec', 'tsx', 'src/cli/create-db-user.ts', ...rest]);
    break;
  }
  case 'backup':
  case 'restore':
  case 'check-db': {
    // npm run backup | restore -- FILE --database NAME [--force] | check-db [-- --database NAME]
    // (docs/backup.md); as the owner: MIGRATION_DATABASE_URL, else DATABASE_URL.
    await prepare();
    runForeground('pnpm', ['--filter', '@paidflow/db', 'exec', 'tsx', `src/cli/${command}.ts`, ...rest]);
    break;
  }
  case 'bench': {
    await prepare();
    const [name, ...args] = rest;
    if (!name) fail('usage: npm run bench -- <queries|pipeline|fanout|browser|scale|pubsub> [options]');
    runForeground('pnpm', ['--filter', '@paidflow/bench', 'exec', 'tsx', `${name}.ts`, ...args]);
    break;
  }
  case 'start': {
    await prepare();
    const { start } = await import('./run-modes.mjs');
    await start(runContext(), rest);
    break;
  }
  case 'build': {
    const { build } = await import('./run-modes.mjs');
    await build(runContext());
    break;
  }
  case 'serve': {
    const { serve } = await import('./run-modes.mjs');
    await serve(runContext());
    break;
  }
  default:
    console.log(
      'usage: node scripts/paidflow.mjs <start|build|serve|test|migrate|seed|create-admin|create-db-user|bench> [args]',
    );
    process.exitCode = command === 'help' ? 0 : 1;
}
