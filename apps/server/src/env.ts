import {
  DEV_WORKER_TOKEN,
  EnvDatabaseUrl,
  EnvList,
  EnvLogLevel,
  EnvNodeEnv,
  EnvRedisPrefix,
  EnvRedisUrl,
  EnvWorkerToken,
  parseEnvOrExit,
} from '@paidflow/contracts';
import { z } from 'zod';

/** The development secret of .env.example; refused in production (DEV_WORKER_TOKEN likewise). */
export const DEV_WEBHOOK_SECRET = 'dev-webhook-secret-change-me';

const Env = z
  .object({
    NODE_ENV: EnvNodeEnv,
    HOST: z.string().default('0.0.0.0'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    DATABASE_URL: EnvDatabaseUrl,
    REDIS_URL: EnvRedisUrl,
    /** Prefixes every Redis key, BullMQ queue and pub/sub channel: lets several installs (or test runs) share one Redis. */
    REDIS_PREFIX: EnvRedisPrefix,
    WEBHOOK_SECRETS: EnvList.default([DEV_WEBHOOK_SECRET]),
    SEPAY_API_KEY: z.string().min(16).optional(),
    WORKER_TOKEN: EnvWorkerToken,
    SMTP_URL: z.string().url().optional(),
    NOTIFY_FROM: z.string().default('Paidflow <no-reply@paidflow.local>'),
    ADMIN_ALERT_EMAIL: z.string().email().optional(),
    LOG_LEVEL: EnvLogLevel,
    /** Behind a reverse proxy: take the client's address from X-Forwarded-For (sign-in rate limit). */
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
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV !== 'production') return;
    if (env.WEBHOOK_SECRETS.length === 0 || env.WEBHOOK_SECRETS.includes(DEV_WEBHOOK_SECRET)) {
      ctx.addIssue({ code: 'custom', path: ['WEBHOOK_SECRETS'], message: 'set real secrets in production' });
    }
    if (env.WEBHOOK_SECRETS.some((secret) => secret.length < 16)) {
      ctx.addIssue({
        code: 'custom',
        path: ['WEBHOOK_SECRETS'],
        message: 'each secret needs 16+ characters',
      });
    }
    if (env.WORKER_TOKEN === DEV_WORKER_TOKEN) {
      ctx.addIssue({ code: 'custom', path: ['WORKER_TOKEN'], message: 'set a real token in production' });
    }
  });

export type ServerEnv = z.infer<typeof Env>;

/** Parses the environment; on error names every bad variable (never its value) and exits. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): ServerEnv {
  return parseEnvOrExit(Env, source);
}

/** The environment for tests: defaults plus overrides, no process.env. */
export function testEnv(overrides: Partial<Record<keyof ServerEnv, string>> = {}): ServerEnv {
  return Env.parse({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...overrides });
}
