// `npm test` (scripts/paidflow.mjs test): the real programs the tests start, installed from
// Debian's packages when missing, then the typecheck, the lint and every vitest project. `ctx`
// carries paidflow.mjs's bootstrap helpers; the services are already up when it runs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = '/usr/bin/chromium';

/**
 * Real programs the tests start, from Debian's packages: installed with apt-get when missing
 * (never a downloaded binary). One entry per program; `skip` names the variable that opts out.
 */
const DEBIAN_TOOLS = [
  { binary: CHROMIUM, pkg: 'chromium', purpose: 'the browser tests', skip: 'SKIP_BROWSER_TESTS' },
  {
    binary: '/usr/bin/promtool',
    pkg: 'prometheus',
    purpose: 'the Prometheus config tests',
    skip: 'SKIP_PROMETHEUS_TESTS',
  },
  {
    binary: '/usr/bin/systemd-analyze',
    pkg: 'systemd',
    purpose: 'the systemd unit tests (deploy/systemd)',
    skip: 'SKIP_SYSTEMD_TESTS',
  },
  {
    binary: '/usr/sbin/haproxy',
    pkg: 'haproxy',
    purpose: 'the load-balancer topology tests (deploy/haproxy)',
    skip: 'SKIP_HAPROXY_TESTS',
  },
];

function ensureDebianTools({ log, fail }) {
  const missing = DEBIAN_TOOLS.filter((tool) => !existsSync(tool.binary) && process.env[tool.skip] !== '1');
  if (missing.length === 0) return;
  const packages = missing.map((tool) => tool.pkg);
  log(`missing for the tests: ${missing.map((t) => `${t.binary} (${t.purpose})`).join(', ')}`);
  log(`installing Debian's packages: ${packages.join(' ')}`);
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const run = (args) =>
    spawnSync(sudo[0] ?? args[0], sudo.length ? args : args.slice(1), { stdio: 'inherit' });
  run(['apt-get', 'update', '-qq']);
  run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...packages]);
  for (const tool of missing) {
    if (!existsSync(tool.binary)) {
      fail(
        `could not install ${tool.pkg} (apt-get install -y ${tool.pkg}); install it, or set ${tool.skip}=1`,
      );
    }
  }
}

/** Runs vitest, then prints the plain closing line CI reads: `tests: N passed, N failed, N skipped`. */
function runTests({ fail }, args) {
  const report = path.join(ROOT, '.paidflow', 'vitest-report.json');
  mkdirSync(path.dirname(report), { recursive: true });
  rmSync(report, { force: true });
  const result = spawnSync(
    'pnpm',
    [
      'exec',
      'vitest',
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${report}`,
      ...args,
    ],
    { cwd: ROOT, stdio: 'inherit' },
  );
  if (existsSync(report)) {
    const summary = JSON.parse(readFileSync(report, 'utf8'));
    const skipped = summary.numPendingTests + summary.numTodoTests;
    console.log(
      `tests: ${summary.numPassedTests} passed, ${summary.numFailedTests} failed, ${skipped} skipped`,
    );
  }
  if (result.status !== 0) fail(`tests failed (exit ${result.status ?? result.signal})`);
}

/** Installs what the tests need, then typechecks, lints and runs the tests (`args` go to vitest). */
export function test(ctx, args) {
  ensureDebianTools(ctx);
  ctx.pnpm(['run', 'typecheck']);
  ctx.pnpm(['run', 'lint']);
  runTests(ctx, args);
}
