import { z } from 'zod';

const Seconds = (fallback: number) => z.coerce.number().int().min(0).default(fallback);

/**
 * The alert evaluator's settings (docs/alerts.md), spread into the server's Env. A threshold of 0
 * turns its check off.
 */
export const AlertEnv = {
  /** Whether this server process takes part in evaluating alerts (one at a time holds the lease). */
  ALERTS_ENABLED: z.stringbool().default(true),
  /** How often the conditions are checked. */
  ALERT_INTERVAL_MS: z.coerce.number().int().min(200).max(600_000).default(5_000),
  /** How often a firing alert is sent again. */
  ALERT_REMIND_SECONDS: z.coerce.number().int().min(1).default(3_600),
  /** The evaluator's lease in Redis: renewed every check, taken over when it lapses (over 2 × ALERT_INTERVAL_MS). */
  ALERT_LEASE_MS: z.coerce.number().int().min(1_000).default(30_000),
  /** This server process's name in mysql_down and redis_down (default hostname-pid). */
  ALERT_INSTANCE_ID: z.string().trim().min(1).max(100).optional(),
  /** A Slack-compatible incoming webhook ({ text, attachments }): alerts are POSTed there too. */
  ALERT_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  ALERT_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** How many checks in a row a failed channel (e-mail, webhook) is retried before the message is dropped. */
  ALERT_SEND_ATTEMPTS: z.coerce.number().int().min(1).max(1_000).default(10),
  /** A MySQL or Redis probe slower than this counts as failed. */
  ALERT_PROBE_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(2_000),
  /** Failed probes in a row before mysql_down or redis_down fires. */
  ALERT_DOWN_CHECKS: z.coerce.number().int().min(1).max(100).default(2),
  ALERT_WORKER_DOWN_SECONDS: Seconds(30),
  ALERT_NO_WORKERS_SECONDS: Seconds(30),
  ALERT_BACKLOG_MAX: Seconds(500),
  ALERT_QUEUE_WAIT_SECONDS: Seconds(600),
  ALERT_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
  ALERT_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0.5),
  ALERT_FAILURE_MIN_TASKS: z.coerce.number().int().min(1).default(5),
  ALERT_DEAD_LETTER_GROWTH: Seconds(1),
  ALERT_DEAD_LETTER_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
  ALERT_OUTBOX_AGE_SECONDS: Seconds(120),
  ALERT_OUTBOX_MAX: Seconds(1_000),
  ALERT_PAYMENT_UNMATCHED_SECONDS: Seconds(900),
};

const AlertSettingsSchema = z.object(AlertEnv);
export type AlertSettings = z.infer<typeof AlertSettingsSchema>;

/**
 * The checks across settings, for the server's Env superRefine: the lease must outlast two
 * intervals, or leadership hops between servers from one check to the next.
 */
export function checkAlertEnv(
  env: Pick<AlertSettings, 'ALERT_INTERVAL_MS' | 'ALERT_LEASE_MS'>,
  ctx: z.RefinementCtx,
): void {
  if (env.ALERT_INTERVAL_MS * 2 >= env.ALERT_LEASE_MS) {
    ctx.addIssue({
      code: 'custom',
      path: ['ALERT_INTERVAL_MS'],
      message: `must be less than half of ALERT_LEASE_MS (${env.ALERT_LEASE_MS})`,
    });
  }
}
