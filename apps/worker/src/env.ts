import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEV_WORKER_TOKEN,
  EnvLogLevel,
  EnvNodeEnv,
  EnvRedisClusterNodes,
  EnvRedisPrefix,
  EnvRedisUrl,
  EnvWorkerToken,
  parseEnvOrExit,
} from '@paidflow/contracts';
import { TracingEnv } from '@paidflow/runtime';
import { z } from 'zod';

// Tests import the development token from here.
export { DEV_WORKER_TOKEN };

// The repo root, so that the default directories do not depend on the directory `tsx` runs in.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** A directory: relative paths are taken from the repo root, whatever directory the worker runs in. */
const Directory = (fallback: string) =>
  z
    .string()
    .min(1)
    .default(fallback)
    .transform((value) => path.resolve(ROOT, value));

const Env = z
  .object({
    NODE_ENV: EnvNodeEnv,
    REDIS_URL: EnvRedisUrl,
    /** A Redis Cluster's nodes (host:port,...): every Redis client in cluster mode (decision 058). */
    REDIS_CLUSTER_NODES: EnvRedisClusterNodes,
    REDIS_PREFIX: EnvRedisPrefix,
    SERVER_URL: z.url().default('http://127.0.0.1:3000'),
    /** The token sent to the server: the first of a comma list (rotation; docs/security.md). */
    WORKER_TOKEN: EnvWorkerToken.transform((tokens) => tokens[0] ?? DEV_WORKER_TOKEN),
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(4),
    /** Where downloads are written while in progress (<dir>/<task id>/). */
    STORAGE_DIR: Directory('.paidflow/storage'),
    /** Where customers' files go: `local` (DELIVERY_DIR, served by the server) is the one today. */
    DELIVERY_DESTINATION: z.enum(['local']).default('local'),
    /**
     * The local destination: <dir>/<order code>/<task id>-<slug>/. The server serves the files from
     * its own DELIVERY_DIR, which must be this directory (same machine or a shared volume).
     */
    DELIVERY_DIR: Directory('.paidflow/delivery'),
    HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
    HEALTH_HOST: z.string().default('0.0.0.0'),
    LOG_LEVEL: EnvLogLevel,
    WORKER_ID: z.string().min(1).max(128).default(`${os.hostname()}-${process.pid}`),
    /** A download that receives no byte for this long is aborted (TIMEOUT, retried). */
    DOWNLOAD_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
    /** How often BullMQ looks for jobs whose worker died (stalled-job recovery). */
    WORKER_STALLED_INTERVAL_MS: z.coerce.number().int().min(100).default(10_000),
    /** How long a job's lock outlives its last renewal: with the interval, bounds pick-up after a SIGKILL. */
    WORKER_LOCK_DURATION_MS: z.coerce.number().int().min(200).default(15_000),
    /** On SIGTERM, how long active jobs may run on before their downloads are aborted and released. */
    WORKER_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(20_000),
    /** How long a report to the server is retried while the server is unreachable. */
    SERVER_REPORT_DEADLINE_MS: z.coerce
      .number()
      .int()
      .min(0)
      .default(10 * 60_000),
    ...TracingEnv,
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && env.WORKER_TOKEN === DEV_WORKER_TOKEN) {
      ctx.addIssue({ code: 'custom', path: ['WORKER_TOKEN'], message: 'set a real token in production' });
    }
  });

export type WorkerEnv = z.infer<typeof Env>;

/** Parses the environment; on error names every bad variable (never its value) and exits. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): WorkerEnv {
  return parseEnvOrExit(Env, source);
}

/** The environment for tests: defaults plus overrides, no process.env. */
export function testEnv(overrides: Partial<Record<keyof WorkerEnv, string>> = {}): WorkerEnv {
  return Env.parse({ NODE_ENV: 'test', LOG_LEVEL: 'silent', HEALTH_PORT: '0', ...overrides });
}
