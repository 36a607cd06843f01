import type { ErrorType } from '@paidflow/contracts';
import { ERROR_TYPES } from '@paidflow/contracts/constants';
import { errorMessage } from '../api/errors.ts';
import { ActionResultNotice } from '../components/action-result.tsx';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { Empty, ErrorBox, Loading } from '../components/feedback.tsx';
import { OperatorOnly } from '../components/operator-only.tsx';
import { SelectField } from '../components/select-field.tsx';
import { OrderStatusBadge, SeverityBadge } from '../components/status-badge.tsx';
import { useErrorSummary, useRetryTasks } from '../hooks/use-errors.ts';
import { useRetryMatching } from '../hooks/use-orders.ts';
import { useSelection } from '../hooks/use-selection.ts';
import { useSession } from '../hooks/use-session.ts';
import { formatAgo, formatCount, formatDateTime } from '../lib/format.ts';
import { ERROR_TYPE_LABELS } from '../lib/labels.ts';
import { buildHref, navigate, useLocation } from '../router/history.ts';
import { Link } from '../router/link.tsx';
import { paths } from '../router/routes.ts';

const WINDOWS = [1, 6, 24, 24 * 7, 24 * 30] as const;

function windowLabel(hours: number) {
  return hours < 24 ? `${hours} h` : `${hours / 24} d`;
}

const WINDOW_OPTIONS = WINDOWS.map((value) => ({ value, label: `Last ${windowLabel(value)}` }));

export function ErrorsPage() {
  const { search } = useLocation();
  const hoursParam = Number(search.get('hours'));
  const hours = (WINDOWS as readonly number[]).includes(hoursParam) ? hoursParam : 24;
  const typeParam = search.get('type');
  const type = (ERROR_TYPES as readonly string[]).includes(typeParam ?? '') ? (typeParam as ErrorType) : null;
  const summary = useErrorSummary(hours);
  const retry = useRetryMatching();
  const retryTasks = useRetryTasks();
  const { canAct } = useSession();
  const selection = useSelection<number>();
  const { selected } = selection;

  const recent = (summary.data?.recent ?? []).filter((item) => !type || item.error_type === type);
  const setParams = (next: { hours?: number; type?: string | null }) =>
    navigate(
      buildHref(paths.errors, {
        hours: next.hours ?? hours,
        type: next.type === undefined ? type : next.type,
      }),
    );

  return (
    <>
      <div className="page-header">
        <h1>Errors</h1>
        <SelectField
          label="Window"
          value={hours}
          options={WINDOW_OPTIONS}
          onChange={(value) => setParams({ hours: Number(value) })}
        />
      </div>
      {summary.error ? (
        <ErrorBox title="Error summary unavailable">{errorMessage(summary.error)}</ErrorBox>
      ) : null}
      {retry.data ? <ActionResultNotice result={retry.data} noun="task" /> : null}
      {retryTasks.data ? <ActionResultNotice result={retryTasks.data} noun="task" /> : null}
      {(retry.error ?? retryTasks.error) ? (
        <ErrorBox title="Retry failed">{errorMessage(retry.error ?? retryTasks.error)}</ErrorBox>
      ) : null}
      {summary.isPending ? <Loading /> : null}

      {summary.data ? (
        <section className="section" aria-labelledby="by-type-heading">
          <h2 id="by-type-heading">By type, last {windowLabel(hours)}</h2>
          {summary.data.byType.length === 0 ? (
            <Empty>No errors in this window.</Empty>
          ) : (
            <div className="table-wrap">
              <table className="data">
                <colgroup>
                  <col />
                  <col className="col-count" />
                  <col className="col-time" />
                  <col className="col-actions" />
                </colgroup>
                <thead>
                  <tr>
                    <th scope="col">Type</th>
                    <th scope="col">Count</th>
                    <th scope="col">Most recent</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {summary.data.byType.map((row) => (
                    <tr key={row.error_type}>
                      <td>
                        <Link
                          to={buildHref(paths.errors, {
                            hours,
                            type: type === row.error_type ? null : row.error_type,
                          })}
                          aria-current={type === row.error_type ? 'true' : undefined}
                        >
                          <span className="error-type">{row.error_type}</span>
                        </Link>{' '}
                        <span className="muted">{ERROR_TYPE_LABELS[row.error_type]}</span>
                      </td>
                      <td className="num">{formatCount(row.count)}</td>
                      <td className="num" title={formatDateTime(row.last_at)}>
                        {formatAgo(row.last_at)}
                      </td>
                      <td>
                        <OperatorOnly>
                          <ConfirmButton
                            className="button button--small"
                            label="Retry failed"
                            confirmLabel="Press to confirm"
                            disabled={retry.isPending}
                            onConfirm={() => retry.mutate({ filter: { errorType: row.error_type } })}
                          />
                        </OperatorOnly>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      ) : null}

      {summary.data ? (
        <section className="section" aria-labelledby="recent-heading">
          <div className="section__head">
            <h2 id="recent-heading">Most recent{type ? `: ${type}` : ''}</h2>
            <div className="actions">
              {type ? (
                <button type="button" className="link-button" onClick={() => setParams({ type: null })}>
                  Show every type
                </button>
              ) : null}
              <OperatorOnly>
                <button
                  type="button"
                  className="button button--small button--primary"
                  disabled={selected.size === 0 || retryTasks.isPending}
                  onClick={() =>
                    retryTasks.mutate({ taskIds: [...selected] }, { onSuccess: selection.clear })
                  }
                >
                  Retry selected tasks ({selected.size})
                </button>
              </OperatorOnly>
            </div>
          </div>
          {recent.length === 0 ? (
            <Empty>No recent errors{type ? ' of this type' : ''}.</Empty>
          ) : (
            <ol className="timeline">
              {recent.map((item) => (
                <li key={item.audit_id} className={`timeline__item timeline__item--${item.severity}`}>
                  <div className="timeline__head">
                    <time className="num" dateTime={item.created_at.toISOString()}>
                      {formatDateTime(item.created_at)}
                    </time>
                    <SeverityBadge severity={item.severity} />
                    <Link to={buildHref(paths.order(item.order_id), { audit: 1, sev: 'error,critical' })}>
                      {item.order_code}
                    </Link>
                    <OrderStatusBadge status={item.order_status} />
                    {item.task_id !== null ? (
                      canAct ? (
                        <label className="select-task">
                          <input
                            type="checkbox"
                            checked={selected.has(item.task_id)}
                            onChange={(event) => selection.set(item.task_id as number, event.target.checked)}
                          />
                          task #{item.task_id}
                        </label>
                      ) : (
                        <span className="muted">task #{item.task_id}</span>
                      )
                    ) : null}
                  </div>
                  <p className="timeline__message">
                    {item.error_type ? <span className="error-type">{item.error_type}</span> : null}
                    {item.message}
                  </p>
                  {item.course_url ? <p className="muted truncate">{item.course_url}</p> : null}
                </li>
              ))}
            </ol>
          )}
        </section>
      ) : null}
    </>
  );
}
