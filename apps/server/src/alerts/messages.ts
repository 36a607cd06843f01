import type { Mail } from '../notify/notifier.ts';
import type { AlertEvent } from './types.ts';

// What an alert says on each channel: an e-mail to the admins, and a Slack-compatible JSON body
// ({ text, attachments }) for ALERT_WEBHOOK_URL, with the alert itself under `alert` for
// receivers that are not Slack.

const COLORS = { critical: '#b3261e', error: '#e8710a', warning: '#f2c744', info: '#0b62c4' } as const;

function heading(event: AlertEvent): string {
  const { alert } = event;
  if (event.type === 'resolved') return `Resolved: ${alert.kind} ${alert.subject}`;
  if (event.type === 'reminder') return `Still firing (reminder ${alert.reminders}): ${alert.message}`;
  return `${alert.severity.toUpperCase()}: ${alert.message}`;
}

/** "2h 5m", "3m 10s", "12s": how long an alert fired. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

function lines(event: AlertEvent, alertsUrl: string): string[] {
  const { alert } = event;
  const since = formatDuration(event.at.getTime() - alert.raisedAt.getTime());
  return [
    event.type === 'resolved'
      ? `The alert no longer fires; it fired for ${since}.`
      : event.type === 'reminder'
        ? `The alert still fires, for ${since} now.`
        : 'An alert was raised.',
    '',
    `Alert: ${alert.message}`,
    `Kind: ${alert.kind} (subject ${alert.subject}), severity ${alert.severity}`,
    `Raised: ${alert.raisedAt.toISOString()}`,
    ...(alert.resolvedAt ? [`Resolved: ${alert.resolvedAt.toISOString()}`] : []),
    ...Object.entries(alert.details).map(([key, value]) => `${key}: ${JSON.stringify(value)}`),
    '',
    `What it means and what to do: docs/alerts.md#${alert.kind.replaceAll('_', '-')}`,
    `Alerts in the dashboard: ${alertsUrl}`,
  ];
}

export function alertMail(to: string, event: AlertEvent, alertsUrl: string): Mail {
  return {
    to,
    priority: event.type === 'resolved' ? 'normal' : 'high',
    subject: `[Paidflow] ${heading(event)}`.slice(0, 250),
    text: lines(event, alertsUrl).join('\n'),
  };
}

/** The webhook's JSON body, in the shape Slack's incoming webhooks take. */
export function alertWebhookBody(event: AlertEvent, alertsUrl: string) {
  const { alert } = event;
  return {
    text: `[Paidflow] ${heading(event)}`,
    attachments: [
      {
        color: event.type === 'resolved' ? '#2e7d32' : COLORS[alert.severity],
        title: `${alert.kind} · ${alert.subject}`,
        title_link: alertsUrl,
        text: lines(event, alertsUrl).join('\n'),
        fields: [
          { title: 'Event', value: event.type, short: true },
          { title: 'Severity', value: alert.severity, short: true },
        ],
        ts: Math.floor(event.at.getTime() / 1000),
      },
    ],
    alert: {
      event: event.type,
      id: alert.id,
      kind: alert.kind,
      subject: alert.subject,
      severity: alert.severity,
      message: alert.message,
      details: alert.details,
      raisedAt: alert.raisedAt.toISOString(),
      resolvedAt: alert.resolvedAt?.toISOString() ?? null,
      reminders: alert.reminders,
    },
  };
}
