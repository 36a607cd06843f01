import type { DeadLetterJob } from '@paidflow/contracts';
import type { useDeadLetterActions } from '../hooks/use-queue.ts';
import { useSession } from '../hooks/use-session.ts';
import { formatAgo, formatDateTime } from '../lib/format.ts';
import { Link } from '../router/link.tsx';
import { paths } from '../router/routes.ts';

/** One dead letter: its job, order, attempts and last error; operators get a checkbox and actions. */
export function DeadLetterRow({
  job,
  selected,
  onSelect,
  actions,
}: {
  job: DeadLetterJob;
  selected: boolean;
  onSelect: (selected: boolean) => void;
  actions: ReturnType<typeof useDeadLetterActions>;
}) {
  const { canAct } = useSession();
  const busy =
    (actions.retryJob.isPending && actions.retryJob.variables?.jobId === job.jobId) ||
    (actions.removeJob.isPending && actions.removeJob.variables?.jobId === job.jobId);
  return (
    <tr data-job-id={job.jobId}>
      {canAct ? (
        <td data-label="Select">
          <input
            type="checkbox"
            aria-label={`Select job ${job.jobId}`}
            checked={selected}
            onChange={(event) => onSelect(event.target.checked)}
          />
        </td>
      ) : null}
      <td data-label="Job" className="truncate" title={job.jobId}>
        <code>{job.jobId}</code>
      </td>
      <td data-label="Order">
        {job.orderId !== null ? (
          <Link to={paths.order(job.orderId)}>{job.orderCode ?? `#${job.orderId}`}</Link>
        ) : (
          <span className="muted">—</span>
        )}
        {job.taskTitle ? <div className="muted truncate">{job.taskTitle}</div> : null}
      </td>
      <td data-label="Attempts" className="num">
        {job.attemptsMade}
      </td>
      <td data-label="Last error" className="dead-letter__error">
        {job.failedReason}
      </td>
      <td data-label="Failed" className="num" title={formatDateTime(job.failedAt)}>
        {job.failedAt ? formatAgo(job.failedAt) : '—'}
      </td>
      {canAct ? (
        <td data-label="Actions">
          <div className="actions">
            <button
              type="button"
              className="button button--small button--primary"
              disabled={busy}
              onClick={() => actions.retryJob.mutate({ jobId: job.jobId })}
            >
              Retry
            </button>
            <button
              type="button"
              className="button button--small button--danger"
              disabled={busy}
              onClick={() => actions.removeJob.mutate({ jobId: job.jobId })}
            >
              Remove
            </button>
          </div>
        </td>
      ) : null}
    </tr>
  );
}
