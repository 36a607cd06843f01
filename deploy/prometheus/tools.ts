import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's prometheus package (scripts/test-mode.mjs installs it for `npm test`). */
export const PROMTOOL = '/usr/bin/promtool';
export const PROMETHEUS = '/usr/bin/prometheus';
export const PROMETHEUS_DIR = path.dirname(fileURLToPath(import.meta.url));
export const DASHBOARD = path.join(PROMETHEUS_DIR, '..', 'grafana', 'paidflow.json');

/**
 * `npm test` sets SKIP_PROMETHEUS_TESTS=1 only when the package cannot be installed: the tests
 * that run Prometheus' programs are then skipped. Without it, a missing binary fails them.
 */
export const SKIP_PROMETHEUS_TESTS = process.env.SKIP_PROMETHEUS_TESTS === '1';

/** Throws the way to fix it when the binary is missing and the tests were not told to skip. */
export function requireBinary(binary: string): void {
  if (!existsSync(binary)) {
    throw new Error(
      `${binary} is missing: apt-get install -y --no-install-recommends prometheus (npm test installs it), or set SKIP_PROMETHEUS_TESTS=1`,
    );
  }
}
