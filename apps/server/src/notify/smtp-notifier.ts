import nodemailer from 'nodemailer';
import type { Mail, Notifier } from './notifier.ts';

export interface SmtpNotifierOptions {
  /** smtp://user:pass@host:port or smtps://...; credentials never reach a log line. */
  url: string;
  from: string;
  /** How long one delivery may take before it counts as failed (and is retried later). */
  timeoutMs?: number;
}

/** Sends the notifications by SMTP (nodemailer). A message the server refuses throws. */
export function createSmtpNotifier(options: SmtpNotifierOptions): Notifier {
  const timeout = options.timeoutMs ?? 15_000;
  const transport = nodemailer.createTransport(options.url, {
    from: options.from,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });
  return {
    kind: 'smtp',
    async send(mail: Mail) {
      await transport.sendMail({
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        ...(mail.html ? { html: mail.html } : {}),
        ...(mail.priority ? { priority: mail.priority } : {}),
      });
    },
    async close() {
      transport.close();
    },
  };
}
