import type { AuditCategory, AuditLogPage, Severity } from '@paidflow/contracts';
import { AUDIT_CATEGORIES, SEVERITIES } from '@paidflow/contracts/constants';
import { useId } from 'react';
import { type AuditFilters, actorOf, stackOf, toggle, workerOf } from '../lib/audit-filters.ts';
import { formatDateTime } from '../lib/format.ts';
import { CATEGORY_LABELS, ERROR_TYPE_LABELS, humanize } from '../lib/labels.ts';
import { JsonDetails } from './json-details.tsx';
import { SeverityBadge } from './status-badge.tsx';

export type AuditItem = AuditLogPage['items'][number];

export interface AuditTimelineProps {
  events: AuditItem[];
  filters: AuditFilters;
  onFiltersChange: (filters: AuditFilters) => void;
  /** The order's tasks, for the task filter. */
  tasks: Array<{ id: number; title: string }>;
  /** Ids that arrived after the timeline was first shown: they are highlighted. */
  newIds?: ReadonlySet<number>;
  hasMore?: boolean;
  loadingMore?: boolean;
  onLoadMore?: () => void;
}

function AuditFiltersForm({
  filters,
  onChange,
  tasks,
}: {
  filters: AuditFilters;
  onChange: (filters: AuditFilters) => void;
  tasks: AuditTimelineProps['tasks'];
}) {
  const taskId = useId();
  return (
    <div className="audit-filters">
      <fieldset className="checks">
        <legend>Severity</legend>
        {SEVERITIES.map((severity: Severity) => (
          <label key={severity}>
            <input
              type="checkbox"
              checked={filters.severity.includes(severity)}
              onChange={() =>
                onChange({ ...filters, severity: toggle(filters.severity, severity, SEVERITIES) })
              }
            />
            {severity}
          </label>
        ))}
      </fieldset>
      <fieldset className="checks">
        <legend>Category</legend>
        {AUDIT_CATEGORIES.map((category: AuditCategory) => (
          <label key={category}>
            <input
              type="checkbox"
              checked={filters.category.includes(category)}
              onChange={() =>
                onChange({ ...filters, category: toggle(filters.category, category, AUDIT_CATEGORIES) })
              }
            />
            {CATEGORY_LABELS[category]}
          </label>
        ))}
      </fieldset>
      <div className="field">
        <label htmlFor={taskId}>Task</label>
        <select
          id={taskId}
          className="select"
          value={filters.taskId ?? ''}
          onChange={(event) =>
            onChange({ ...filters, taskId: event.target.value ? Number(event.target.value) : null })
          }
        >
          <option value="">All tasks and the order</option>
          {tasks.map((task) => (
            <option key={task.id} value={task.id}>
              #{task.id} {task.title}
            </option>
          ))}
        </select>
      </div>
    </div>
  );
}

/** The audit trail, newest first: what the system did and what operators did, and who. */
export function AuditTimeline(props: AuditTimelineProps) {
  const { events, filters, onFiltersChange, tasks, newIds } = props;
  const filtered = filters.severity.length > 0 || filters.category.length > 0 || filters.taskId !== null;
  return (
    <div className="audit">
      <AuditFiltersForm filters={filters} onChange={onFiltersChange} tasks={tasks} />
      {events.length === 0 ? (
        <p className="empty">{filtered ? 'No event matches these filters.' : 'No events yet.'}</p>
      ) : (
        <ol className="timeline" aria-label="Audit events, newest first">
          {events.map((event) => {
            const actor = actorOf(event.details);
            const worker = workerOf(event.details);
            const stack = stackOf(event.details);
            return (
              <li
                key={event.id}
                className={`timeline__item timeline__item--${event.severity}${newIds?.has(event.id) ? ' timeline__item--new' : ''}`}
                data-event-type={event.event_type}
              >
                <div className="timeline__head">
                  <time className="num" dateTime={event.created_at.toISOString()}>
                    {formatDateTime(event.created_at)}
                  </time>
                  <SeverityBadge severity={event.severity} />
                  <span className="timeline__type">{humanize(event.event_type)}</span>
                  <span className="muted">{CATEGORY_LABELS[event.event_category]}</span>
                  {event.task_id !== null ? (
                    <span className="muted">
                      task #{event.task_id}
                      {event.task_title ? ` · ${event.task_title}` : ''}
                    </span>
                  ) : null}
                  {actor ? <span className="actor">by {actor}</span> : null}
                  {worker ? <span className="muted">on worker {worker}</span> : null}
                </div>
                <p className="timeline__message">
                  {event.error_type ? (
                    <span className="error-type" title={ERROR_TYPE_LABELS[event.error_type]}>
                      {event.error_type}
                    </span>
                  ) : null}
                  {event.message}
                </p>
                {event.previous_status || event.new_status ? (
                  <p className="muted num">
                    {event.previous_status ?? '—'} → {event.new_status ?? '—'}
                  </p>
                ) : null}
                {stack ? (
                  <details className="stack-trace">
                    <summary>Stack trace</summary>
                    <pre>{stack}</pre>
                  </details>
                ) : null}
                {event.details ? <JsonDetails value={event.details} /> : null}
              </li>
            );
          })}
        </ol>
      )}
      {props.hasMore ? (
        <p>
          <button type="button" className="button" onClick={props.onLoadMore} disabled={props.loadingMore}>
            {props.loadingMore ? 'Loading…' : 'Load older events'}
          </button>
        </p>
      ) : null}
    </div>
  );
}
