import type { Logger } from '@paidflow/runtime';
import type { ServerEnv } from '../env.ts';
import { createLogNotifier } from './log-notifier.ts';
import type { Notifier } from './notifier.ts';
import { createSmtpNotifier } from './smtp-notifier.ts';

/** SMTP when SMTP_URL is set, otherwise the log notifier. */
export function createNotifier(env: Pick<ServerEnv, 'SMTP_URL' | 'NOTIFY_FROM'>, logger: Logger): Notifier {
  if (env.SMTP_URL) return createSmtpNotifier({ url: env.SMTP_URL, from: env.NOTIFY_FROM });
  return createLogNotifier(logger);
}
