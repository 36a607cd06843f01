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
          exclude: ['**/*.int.test.*', '**/node_modules/**'],
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
    ],
  },
});
