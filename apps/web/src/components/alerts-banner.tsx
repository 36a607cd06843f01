import type { FiringAlerts } from '@paidflow/contracts';
import { useAlertsLive, useFiringAlerts } from '../hooks/use-alerts.ts';
import { formatAgo, formatCount } from '../lib/format.ts';
import { buildHref } from '../router/history.ts';
import { Link } from '../router/link.tsx';
import { paths } from '../router/routes.ts';
import { SeverityBadge } from './status-badge.tsx';

/** The banner itself, from what fires now; nothing at all while nothing fires. */
export function AlertsBannerView({
  firing,
  now = Date.now(),
}: {
  firing: FiringAlerts | undefined;
  now?: number;
}) {
  if (!firing || firing.total === 0) return null;
  const [first, ...rest] = firing.items;
  const more = firing.total - 1;
  return (
    <div className="alert alert--danger alerts-banner" role="alert" data-testid="alerts-banner">
      <strong>{firing.total === 1 ? 'An alert fires' : `${formatCount(firing.total)} alerts fire`}</strong>
      {first ? (
        <span className="alerts-banner__item">
          <SeverityBadge severity={first.severity} /> {first.message}{' '}
          <span className="muted">(raised {formatAgo(first.raisedAt, now)})</span>
        </span>
      ) : null}
      {more > 0 ? (
        <span className="muted">
          and {formatCount(more)} more
          {rest.length > 0 ? `: ${rest.map((alert) => alert.kind).join(', ')}` : ''}
        </span>
      ) : null}
      <Link to={buildHref(paths.alerts, { state: 'firing' })}>See the alerts</Link>
    </div>
  );
}

/** On every page while any alert fires, kept current by alerts.live. */
export function AlertsBanner() {
  useAlertsLive();
  const firing = useFiringAlerts();
  return <AlertsBannerView firing={firing.data} />;
}
