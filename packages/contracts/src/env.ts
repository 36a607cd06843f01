import { z } from 'zod';

/**
 * The pieces every process's environment schema shares, and the one way each parses it: once, at
 * start-up, naming every bad variable (never its value, which may be a secret) before exiting.
 */
export const EnvDatabaseUrl = z
  .string()
  .regex(/^mysql:\/\//, 'must be a mysql:// URL')
  .default('mysql://root@127.0.0.1:3306/paidflow');

export const EnvRedisUrl = z
  .string()
  .regex(/^rediss?:\/\//, 'must be a redis:// URL')
  .default('redis://127.0.0.1:6379');

/**
 * REDIS_CLUSTER_NODES: a Redis Cluster's nodes, `host:port` comma-separated (a few are enough:
 * the client learns the rest). Set, it puts every Redis client into cluster mode (decision 058);
 * REDIS_URL then only gives the credentials and TLS. Unset or empty: one Redis at REDIS_URL.
 */
export const EnvRedisClusterNodes = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const parts = (value ?? '')
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean);
    if (parts.length === 0) return undefined;
    return parts.map((part, index) => {
      const match = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(part);
      const port = Number(match?.[2]);
      if (!match?.[1] || port < 1 || port > 65_535) {
        ctx.addIssue({ code: 'custom', message: `item ${index + 1} is not host:port` });
        return { host: '', port: 0 };
      }
      return { host: match[1].replace(/^\[|\]$/g, ''), port };
    });
  });

/** The development token of .env.example, shared by server and worker; each refuses it in production. */
export const DEV_WORKER_TOKEN = 'dev-worker-token-change-me';

export const EnvLogLevel = z
  .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  .default('info');

/** A comma-separated list, trimmed, empty items dropped. */
export const EnvList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string()));

/**
 * The workers' service tokens, comma-separated (rotation, as WEBHOOK_SECRETS): the server accepts
 * every one; a worker sends the first of its own list (docs/security.md has the rotation steps).
 */
export const EnvWorkerToken = EnvList.pipe(
  z.array(z.string().min(16, 'each token needs 16+ characters')).min(1, 'at least one token'),
).default([DEV_WORKER_TOKEN]);

/** The messages for a failed parse, one per bad variable. */
export function envErrors(error: z.ZodError): string[] {
  return error.issues.map(
    (issue) => `invalid environment variable ${issue.path.join('.')}: ${issue.message}`,
  );
}

/**
 * The exit status of a process refused by its configuration (EX_CONFIG): supervisors do not
 * restart it (`npm start` / `npm run serve`, systemd's RestartPreventExitStatus).
 */
export const EXIT_CONFIG = 78;

/** Parses `source` with `schema`; on failure prints every bad variable and exits with EXIT_CONFIG. */
export function parseEnvOrExit<T extends z.ZodType>(
  schema: T,
  source: NodeJS.ProcessEnv = process.env,
): z.output<T> {
  const parsed = schema.safeParse(source);
  if (parsed.success) return parsed.data;
  for (const line of envErrors(parsed.error)) console.error(line);
  process.exit(EXIT_CONFIG);
}

export const EnvNodeEnv = z.enum(['development', 'test', 'production']).default('development');

/** Prefixes every Redis key, BullMQ queue and pub/sub channel: lets installs (or test runs) share one Redis. */
export const EnvRedisPrefix = z
  .string()
  .regex(/^[A-Za-z0-9_-]*$/, 'letters, digits, _ and - only')
  .default('');

const DURATION_UNITS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/**
 * A duration in whole seconds from `30d`, `12h`, `15m`, `90s` or a plain number of seconds;
 * null when the text is none of these (or zero).
 */
export function parseDurationSeconds(text: string): number | null {
  const match = /^(\d{1,9})\s*([smhd]?)$/i.exec(text.trim());
  if (!match) return null;
  const unit = (match[2]?.toLowerCase() || 's') as keyof typeof DURATION_UNITS;
  const seconds = Number(match[1]) * DURATION_UNITS[unit];
  return seconds > 0 ? seconds : null;
}

/** A positive duration (`30d`, `12h`, `15m`, `90s` or seconds), parsed to seconds. */
export const EnvDurationSeconds = z.string().transform((text, ctx) => {
  const seconds = parseDurationSeconds(text);
  if (seconds === null) {
    ctx.addIssue({ code: 'custom', message: 'a positive duration such as 30d, 12h, 15m, 90s or seconds' });
    return z.NEVER;
  }
  return seconds;
});
