import type { AlertView } from '@paidflow/contracts';
import { formatDateTime } from '../lib/format.ts';
import { humanize } from '../lib/labels.ts';
import { Badge, SeverityBadge } from './status-badge.tsx';

/** The alert history: one row per firing, newest raised first. */
export function AlertTable({ items }: { items: AlertView[] }) {
  return (
    <div className="table-wrap">
      <table className="data data--cards alerts-table">
        <caption className="visually-hidden">Alerts, newest raised first</caption>
        <thead>
          <tr>
            <th scope="col">State</th>
            <th scope="col">Severity</th>
            <th scope="col">Kind</th>
            <th scope="col">Message</th>
            <th scope="col">Raised</th>
            <th scope="col">Last seen</th>
            <th scope="col">Resolved</th>
            <th scope="col">Reminders</th>
          </tr>
        </thead>
        <tbody>
          {items.map((alert) => (
            <tr key={alert.id} data-testid="alert-row" data-kind={alert.kind}>
              <td data-label="State">
                {alert.resolvedAt ? (
                  <Badge tone="success" label="resolved" />
                ) : (
                  <Badge tone="danger" label="firing" />
                )}
              </td>
              <td data-label="Severity">
                <SeverityBadge severity={alert.severity} />
              </td>
              <td data-label="Kind">
                {humanize(alert.kind)} <span className="muted">{alert.subject}</span>
              </td>
              <td data-label="Message">{alert.message}</td>
              <td data-label="Raised">{formatDateTime(alert.raisedAt)}</td>
              <td data-label="Last seen">{formatDateTime(alert.lastSeenAt)}</td>
              <td data-label="Resolved">{alert.resolvedAt ? formatDateTime(alert.resolvedAt) : '—'}</td>
              <td data-label="Reminders">{alert.reminders}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
