import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEV_WORKER_TOKEN,
  EnvDatabaseUrl,
  EnvDurationSeconds,
  EnvList,
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
import { AlertEnv, checkAlertEnv } from './alerts/env.ts';
import { LimitsEnv } from './limits/env.ts';
import { ReplicaEnv } from './replicas/env.ts';
import { AuditRetentionEnv } from './services/audit-retention-env.ts';

/** The development secret of .env.example; refused in production (DEV_WORKER_TOKEN likewise). */
export const DEV_WEBHOOK_SECRET = 'dev-webhook-secret-change-me';

/** The development key of the customers' delivery links; refused in production. */
export const DEV_DELIVERY_SECRET = 'dev-delivery-secret-change-me';

// The repo root, so that a relative DELIVERY_DIR means what it means to the worker.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** A list of signing secrets: the first signs, every one verifies (rotation). */
function checkSecrets(
  name: 'WEBHOOK_SECRETS' | 'DELIVERY_SECRETS',
  secrets: string[],
  devSecret: string,
  ctx: z.RefinementCtx,
): void {
  if (secrets.length === 0 || secrets.includes(devSecret)) {
    ctx.addIssue({ code: 'custom', path: [name], message: 'set real secrets in production' });
  }
  if (secrets.some((secret) => secret.length < 16)) {
    ctx.addIssue({ code: 'custom', path: [name], message: 'each secret needs 16+ characters' });
  }
}

const Env = z
  .object({
    NODE_ENV: EnvNodeEnv,
    HOST: z.string().default('0.0.0.0'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    DATABASE_URL: EnvDatabaseUrl,
    REDIS_URL: EnvRedisUrl,
    /** A Redis Cluster's nodes (host:port,...): every Redis client in cluster mode (decision 058). */
    REDIS_CLUSTER_NODES: EnvRedisClusterNodes,
    /** Prefixes every Redis key, BullMQ queue and pub/sub channel: lets several installs (or test runs) share one Redis. */
    REDIS_PREFIX: EnvRedisPrefix,
    WEBHOOK_SECRETS: EnvList.default([DEV_WEBHOOK_SECRET]),
    SEPAY_API_KEY: z.string().min(16).optional(),
    /** The workers' tokens: every one is accepted (rotation; the worker sends the first of its own). */
    WORKER_TOKEN: EnvWorkerToken,
    SMTP_URL: z.string().url().optional(),
    NOTIFY_FROM: z.string().default('Paidflow <no-reply@paidflow.local>'),
    ADMIN_ALERT_EMAIL: z.string().email().optional(),
    LOG_LEVEL: EnvLogLevel,
    /** Behind a reverse proxy: take the client's address from X-Forwarded-For (the rate limits). */
    TRUST_PROXY: z.stringbool().default(false),
    /** How often the outbox drainer polls MySQL for rows to deliver (it is also woken on commit). */
    OUTBOX_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(500),
    /** How often the reconciler looks for active tasks whose job the queue lost. */
    RECONCILE_INTERVAL_MS: z.coerce.number().int().min(1000).default(30_000),
    /** A task must be unchanged this long before the reconciler checks it. */
    RECONCILE_STALE_SECONDS: z.coerce.number().int().min(0).default(60),
    /**
     * WebSocket keep-alive: a connection silent this long gets a PING; one that does not answer
     * within the same time (at most 10 s) is terminated, so dead peers free their subscriptions.
     */
    WS_PING_MS: z.coerce.number().int().min(100).max(300_000).default(30_000),
    /** Where the built SPA is served from in production. */
    WEB_DIST_DIR: z.string().optional(),
    /**
     * The customers' delivered files (the worker's DELIVERY_DIR, on this machine or a shared
     * volume): the download page serves them from here. Relative paths are from the repo root.
     */
    DELIVERY_DIR: z
      .string()
      .min(1)
      .default('.paidflow/delivery')
      .transform((value) => path.resolve(ROOT, value)),
    /** Signs the customers' delivery links: the first signs, every one is accepted (rotation). */
    DELIVERY_SECRETS: EnvList.default([DEV_DELIVERY_SECRET]),
    /** How long a delivery link works: `30d`, `12h`, `15m`, `90s` or seconds. */
    DELIVERY_LINK_TTL: EnvDurationSeconds.default(30 * 86_400),
    /**
     * The address customers reach this server at (links in e-mails). Required in production;
     * elsewhere http://127.0.0.1:<PORT>.
     */
    PUBLIC_BASE_URL: z
      .url({ protocol: /^https?$/ })
      .transform((value) => value.replace(/\/+$/, ''))
      .optional(),
    ...TracingEnv,
    ...LimitsEnv,
    ...AuditRetentionEnv,
    ...AlertEnv,
    ...ReplicaEnv,
  })
  .superRefine((env, ctx) => {
    checkAlertEnv(env, ctx);
    if (env.DELIVERY_SECRETS.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['DELIVERY_SECRETS'], message: 'at least one secret' });
    }
    if (env.NODE_ENV !== 'production') return;
    checkSecrets('WEBHOOK_SECRETS', env.WEBHOOK_SECRETS, DEV_WEBHOOK_SECRET, ctx);
    checkSecrets('DELIVERY_SECRETS', env.DELIVERY_SECRETS, DEV_DELIVERY_SECRET, ctx);
    if (env.WORKER_TOKEN.includes(DEV_WORKER_TOKEN)) {
      ctx.addIssue({ code: 'custom', path: ['WORKER_TOKEN'], message: 'set a real token in production' });
    }
    if (!env.PUBLIC_BASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['PUBLIC_BASE_URL'],
        message: 'set the address customers reach the server at in production',
      });
    }
  })
  .transform((env) => ({
    ...env,
    PUBLIC_BASE_URL: env.PUBLIC_BASE_URL ?? `http://127.0.0.1:${env.PORT}`,
  }));

export type ServerEnv = z.infer<typeof Env>;

/** Parses the environment; on error names every bad variable (never its value) and exits. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): ServerEnv {
  return parseEnvOrExit(Env, source);
}

/** The environment for tests: defaults plus overrides, no process.env. */
export function testEnv(overrides: Partial<Record<keyof ServerEnv, string>> = {}): ServerEnv {
  // Alerts off unless a test asks: an evaluator must not add e-mails to other tests' SMTP sinks.
  return Env.parse({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ALERTS_ENABLED: 'false', ...overrides });
}
