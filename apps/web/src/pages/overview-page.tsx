import { errorMessage } from '../api/errors.ts';
import { ErrorBox, Loading } from '../components/feedback.tsx';
import { KpiPanel } from '../components/kpi-panel.tsx';
import { MinuteChart } from '../components/minute-chart.tsx';
import { StatCard } from '../components/stat-card.tsx';
import { useDashboardStats, useQueueCounts, useThroughput, useWorkerHealth } from '../hooks/use-dashboard.ts';
import { usePaymentAttention } from '../hooks/use-payments.ts';
import { formatAgo, formatCount } from '../lib/format.ts';
import { buildHref } from '../router/history.ts';
import { Link } from '../router/link.tsx';
import { paths } from '../router/routes.ts';

function count(value: number | undefined) {
  return value === undefined ? null : formatCount(value);
}

export function OverviewPage() {
  const stats = useDashboardStats();
  const queue = useQueueCounts();
  const workers = useWorkerHealth();
  const throughput = useThroughput();
  const payments = usePaymentAttention();
  const up = workers.data?.workers.filter((worker) => worker.state === 'up').length;
  const late = workers.data?.workers.filter((worker) => worker.state === 'late').length ?? 0;

  return (
    <>
      <div className="page-header">
        <h1>Overview</h1>
      </div>

      <section aria-labelledby="orders-heading">
        <h2 id="orders-heading" className="visually-hidden">
          Paid orders
        </h2>
        {stats.error ? (
          <ErrorBox title="Order counts unavailable">{errorMessage(stats.error)}</ErrorBox>
        ) : null}
        <dl className="stats stats--five">
          <StatCard label="Total paid" value={count(stats.data?.totalPaid)} tone="info" />
          <StatCard label="Processing" value={count(stats.data?.processing)} tone="active" />
          <StatCard label="Completed" value={count(stats.data?.completed)} tone="success" />
          <StatCard
            label="Partially completed"
            value={count(stats.data?.partiallyCompleted)}
            tone="warning"
          />
          <StatCard label="Failed" value={count(stats.data?.failed)} tone="danger" />
        </dl>
        <p className="actions">
          <Link to={buildHref(paths.orders, { status: 'processing' })}>Processing orders</Link>
          <Link to={buildHref(paths.orders, { status: 'partially_completed' })}>
            Partially completed orders
          </Link>
          <Link to={buildHref(paths.orders, { status: 'failed' })}>Failed orders</Link>
        </p>
      </section>

      <section aria-labelledby="payments-heading" className="payments-attention">
        <h2 id="payments-heading" className="visually-hidden">
          Payments
        </h2>
        {payments.error ? (
          <ErrorBox title="Payment counts unavailable">{errorMessage(payments.error)}</ErrorBox>
        ) : null}
        <dl className="stats payments-attention__stats">
          <StatCard
            label="Payments to review"
            value={count(payments.data?.total)}
            tone={payments.data?.total ? 'warning' : 'neutral'}
            hint={
              payments.data?.total
                ? `${payments.data.unmatched} unmatched, ${payments.data.underpaid} underpaid`
                : undefined
            }
          />
        </dl>
        <p className="actions">
          <Link to={buildHref(paths.payments, { outcome: 'attention' })}>Payments needing attention</Link>
        </p>
      </section>

      <KpiPanel />

      <div className="grid-2">
        <section className="section" aria-labelledby="chart-heading">
          <div className="section__head">
            <h2 id="chart-heading">Tasks per minute, last hour</h2>
          </div>
          <MinuteChart title="Tasks per minute" points={throughput.points} end={throughput.end} />
          <p className="muted">Tasks by the minute they ended{throughput.loading ? ' (loading…)' : ''}.</p>
        </section>

        <section className="section" aria-labelledby="queue-heading">
          <div className="section__head">
            <h2 id="queue-heading">Queue health</h2>
            <Link to={paths.queue}>Open the queue</Link>
          </div>
          {queue.error ? <ErrorBox title="Queue unavailable">{errorMessage(queue.error)}</ErrorBox> : null}
          <dl className="stats stats--compact">
            <StatCard label="Waiting" value={count(queue.data?.waiting)} tone="info" />
            <StatCard label="Active" value={count(queue.data?.active)} tone="active" />
            <StatCard label="Failed jobs" value={count(queue.data?.failed)} tone="danger" />
            <StatCard
              label="Workers up"
              value={up === undefined ? null : formatCount(up)}
              tone={up === 0 ? 'danger' : 'success'}
              hint={late > 0 ? `${late} late` : undefined}
            />
          </dl>
          {workers.isPending ? <Loading label="Reading heartbeats…" /> : null}
          {workers.data && workers.data.workers.length > 0 ? (
            <ul className="worker-list" aria-label="Workers">
              {workers.data.workers.map((worker) => (
                <li key={worker.workerId}>
                  <span className="truncate">
                    {worker.workerId} <span className="muted">({worker.hostname})</span>
                  </span>
                  <span className="num">
                    {worker.activeJobs}/{worker.concurrency} jobs ·{' '}
                    <span className={worker.state === 'up' ? '' : 'muted'}>
                      {worker.state === 'up' ? 'up' : 'late'},{' '}
                      {formatAgo(worker.lastSeen, workers.data.checkedAt)}
                    </span>
                  </span>
                </li>
              ))}
            </ul>
          ) : workers.data ? (
            <p className="muted">No worker has sent a heartbeat.</p>
          ) : null}
        </section>
      </div>
    </>
  );
}
