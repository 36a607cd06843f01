// The long-running modes of scripts/paidflow.mjs (decision 049): `npm start` (development: tsx,
// demo data, the demo sender and the course source), `npm run build` (the production build) and
// `npm run serve` (the production processes from the build). Each runs its processes under the
// supervisor (scripts/supervisor.mjs). `ctx` carries paidflow.mjs's bootstrap helpers.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { restartPolicyFromEnv, superviseForeground } from './supervisor.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The workers' shutdown grace: their WORKER_SHUTDOWN_GRACE_MS (the worker's default, 20 s). */
function workerGraceMs() {
  const value = Number(process.env.WORKER_SHUTDOWN_GRACE_MS || 20_000);
  return Number.isFinite(value) && value >= 0 ? value : 20_000;
}

/**
 * The stop order (decision 049): the demo sender, then the workers (they release their jobs
 * while the server and the course source still answer), then the server, then the course source.
 * Each group's timeout outlasts the process's own forced exit (worker: grace + 15 s; server: 10 s).
 */
const STOP = {
  demoSender: { stopOrder: 0, stopTimeoutMs: 5_000 },
  worker: () => ({ stopOrder: 1, stopTimeoutMs: workerGraceMs() + 20_000 }),
  server: { stopOrder: 2, stopTimeoutMs: 15_000 },
  courseSource: { stopOrder: 3, stopTimeoutMs: 5_000 },
};

/** How many workers `npm start` and `npm run serve` run: PAIDFLOW_WORKERS, default 2. */
function workerCount(ctx) {
  const count = Number(process.env.PAIDFLOW_WORKERS || 2);
  if (!Number.isInteger(count) || count < 1 || count > 64)
    ctx.fail('PAIDFLOW_WORKERS must be a whole number from 1 to 64');
  return count;
}

/**
 * The workers' specs: worker-1 on HEALTH_PORT 3001, worker-2 on 3002, ...; they report to this
 * server (its PORT) unless SERVER_URL says otherwise.
 */
function workerChildren(count, run, port) {
  const serverUrl = process.env.SERVER_URL ?? `http://127.0.0.1:${port}`;
  return Array.from({ length: count }, (_, i) => ({
    name: `worker-${i + 1}`,
    ...run('apps/worker'),
    env: {
      ...run('apps/worker').env,
      HEALTH_PORT: String(3001 + i),
      WORKER_ID: `worker-${i + 1}`,
      SERVER_URL: serverUrl,
    },
    ...STOP.worker(),
  }));
}

/** Runs the children under the supervisor (scripts/supervisor.mjs) until a signal stops them. */
function runSupervised(ctx, children) {
  let policy;
  try {
    policy = restartPolicyFromEnv();
  } catch (error) {
    ctx.fail(error.message);
  }
  return superviseForeground({ children, policy, log: ctx.log });
}

/** A child's readiness: its port on this machine answers (within 60 s). */
function listening(ctx, port) {
  return () => ctx.waitForPort('127.0.0.1', Number(port), 60);
}

/** A development child: its TypeScript entry run by the package's tsx. */
function tsx(cwd, args, env = {}) {
  return { command: path.join(ROOT, cwd, 'node_modules/.bin/tsx'), args, cwd: path.join(ROOT, cwd), env };
}

/** `npm start`: migrate, seed, the demo admins, the SPA; then everything under tsx, supervised. */
export async function start(ctx, args) {
  const { pnpm, log } = ctx;
  const port = process.env.PORT ?? '3000';
  pnpm(['--filter', '@paidflow/db', 'run', 'migrate']);
  pnpm(['--filter', '@paidflow/db', 'run', 'seed', '--if-empty', ...args]);
  pnpm(['--filter', '@paidflow/server', 'exec', 'tsx', 'src/cli/create-admin.ts', '--demo']);
  pnpm(['--filter', '@paidflow/web', 'run', 'build']);
  log('database migrated and seeded, web app built');
  const workers = workerChildren(workerCount(ctx), (cwd) => tsx(cwd, ['src/main.ts']), port);
  // Started in the reverse of the stop order: the workers once the server answers.
  const supervisor = runSupervised(ctx, [
    {
      name: 'course-source',
      ...tsx('tools/course-source', ['src/main.ts']),
      ...STOP.courseSource,
      ready: listening(ctx, process.env.COURSE_SOURCE_PORT ?? '4100'),
    },
    {
      name: 'server',
      ...tsx('apps/server', ['src/main.ts'], { PORT: port, WEB_DIST_DIR: path.join(ROOT, 'apps/web/dist') }),
      ...STOP.server,
      ready: listening(ctx, port),
    },
    ...workers,
    {
      name: 'demo-sender',
      ...tsx('apps/server', ['src/cli/demo-sender.ts'], {
        SERVER_URL: `http://127.0.0.1:${port}/webhooks/payment`,
      }),
      ...STOP.demoSender,
    },
  ]);
  await supervisor.started;
  console.log(`
  Paidflow is up: http://localhost:${port}

  Demo admins:   operator@paidflow.local / operator-demo   (may act)
                 viewer@paidflow.local   / viewer-demo     (read only)
  Workers:       ${workers.map((w) => `http://localhost:${w.env.HEALTH_PORT}/metrics`).join(', ')}
  A demo sender pays a seeded order every few seconds. Ctrl-C stops everything.
`);
}

/** What `npm run build` writes and `npm run serve` runs. */
const BUILT = [
  'apps/server/dist/main.js',
  'apps/server/dist/create-admin.js',
  'apps/worker/dist/main.js',
  'apps/server/dist/migrate.js',
  'apps/web/dist/index.html',
];

/** `npm run build`: the server, the worker (and the CLIs production needs) and the SPA. */
export async function build(ctx) {
  const { pnpm, log, fail } = ctx;
  ctx.ensurePnpm();
  ctx.installDependencies();
  pnpm([
    '--filter',
    '@paidflow/server',
    '--filter',
    '@paidflow/worker',
    '--filter',
    '@paidflow/web',
    'run',
    'build',
  ]);
  const missing = BUILT.filter((file) => !existsSync(path.join(ROOT, file)));
  if (missing.length > 0) fail(`the build did not write ${missing.join(', ')}`);
  log(`built: ${BUILT.join(', ')}`);
}

/**
 * `npm run serve`: the production processes from the build, with plain node and
 * NODE_ENV=production: migrate, then the server and the workers, supervised. No demo sender, no
 * seeding, no course source; the environment (or .env) must hold production settings.
 */
export async function serve(ctx) {
  const { log, fail } = ctx;
  const missing = BUILT.filter((file) => !existsSync(path.join(ROOT, file)));
  if (missing.length > 0) fail(`nothing to serve: ${missing.join(', ')} missing; run "npm run build" first`);
  ctx.loadDotEnv();
  await ctx.ensureServices();
  process.env.NODE_ENV = 'production';
  const migrate = spawnSync(process.execPath, ['apps/server/dist/migrate.js'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (migrate.status !== 0) fail(`migrate failed (exit ${migrate.status ?? migrate.signal})`);
  const node = (cwd, env = {}) => ({
    command: process.execPath,
    args: ['dist/main.js'],
    cwd: path.join(ROOT, cwd),
    env,
  });
  const port = process.env.PORT ?? '3000';
  const supervisor = runSupervised(ctx, [
    {
      name: 'server',
      ...node('apps/server', {
        PORT: port,
        WEB_DIST_DIR: process.env.WEB_DIST_DIR ?? path.join(ROOT, 'apps/web/dist'),
      }),
      ...STOP.server,
      ready: listening(ctx, port),
    },
    ...workerChildren(workerCount(ctx), (cwd) => node(cwd), port),
  ]);
  await supervisor.started;
  log(`started from the build (NODE_ENV=production): the server on port ${port} and the workers`);
}
