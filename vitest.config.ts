import { defineConfig } from 'vitest/config';

// One run covers the whole repo: fast unit tests, then tests against the real MariaDB and Redis.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          // Projects with different worker limits need their own group: units first, then the rest.
          sequence: { groupOrder: 0 },
          include: [
            '{apps,packages,tools}/*/src/**/*.test.{ts,tsx}',
            'bench/**/*.test.ts',
            'scripts/**/*.test.ts',
            'deploy/**/*.test.ts',
          ],
          exclude: ['**/*.int.test.*', '**/*.cluster.test.*', '**/node_modules/**'],
          setupFiles: ['./scripts/test-setup.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          sequence: { groupOrder: 1 },
          include: [
            '{apps,packages,tools}/*/src/**/*.int.test.{ts,tsx}',
            'bench/**/*.int.test.ts',
            'scripts/**/*.int.test.ts',
            'deploy/**/*.int.test.ts',
          ],
          exclude: ['**/node_modules/**'],
          setupFiles: ['./scripts/test-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Two cores: files run two at a time, each against its own database.
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: 'e2e',
          sequence: { groupOrder: 2 },
          include: ['apps/web/e2e/**/*.e2e.test.ts'],
          setupFiles: ['./scripts/test-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // One browser, one server stack at a time.
          maxWorkers: 1,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'cluster',
          // Last: each file starts its own Redis Cluster (6 redis-server processes at most), which
          // would compete for the two cores with the integration files and the browser; and a
          // failover test is slow, so the quicker feedback of the other groups comes first.
          sequence: { groupOrder: 3 },
          include: [
            '{apps,packages,tools}/*/src/**/*.cluster.test.{ts,tsx}',
            'deploy/**/*.cluster.test.ts',
            'bench/**/*.cluster.test.ts',
          ],
          exclude: ['**/node_modules/**'],
          setupFiles: ['./scripts/test-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // One cluster at a time, shared by the tests of one file (startRedisCluster in beforeAll).
          maxWorkers: 1,
          fileParallelism: false,
        },
      },
    ],
  },
});
