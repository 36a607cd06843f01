/** One e-mail: a text part always, an HTML part when the message has one. */
export interface Mail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Admin alerts go out as high priority. */
  priority?: 'high' | 'normal';
}

/**
 * Sends e-mail: the transport only. What each notification says is built by its message module
 * (order-notification.ts, admin-alerts.ts). Implementations throw when a message was not accepted;
 * the outbox drainer then retries it later.
 */
export interface Notifier {
  readonly kind: 'log' | 'smtp';
  send(mail: Mail): Promise<void>;
  close(): Promise<void>;
}
