import { errorMessage } from '../api/errors.ts';
import { ActionResultNotice } from '../components/action-result.tsx';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { DeadLetterRow } from '../components/dead-letter-row.tsx';
import { Empty, ErrorBox, Loading, Notice } from '../components/feedback.tsx';
import { OperatorOnly } from '../components/operator-only.tsx';
import { ListPager, useKeysetPager } from '../components/pager.tsx';
import { StatCard } from '../components/stat-card.tsx';
import { useDeadLetterActions, useQueueOverview } from '../hooks/use-queue.ts';
import { useSelection } from '../hooks/use-selection.ts';
import { useSession } from '../hooks/use-session.ts';
import { formatCount } from '../lib/format.ts';
import { buildHref, useLocation } from '../router/history.ts';
import { paths } from '../router/routes.ts';

const PAGE_SIZE = 20;

export function QueuePage() {
  const { search } = useLocation();
  const { canAct } = useSession();
  const cursor = search.get('cursor') || undefined;
  const overview = useQueueOverview(cursor, PAGE_SIZE);
  const actions = useDeadLetterActions();
  const selection = useSelection<string>();
  const { selected } = selection;
  const jobs = overview.data?.deadLetters ?? [];
  const counts = overview.data?.counts;
  const pager = useKeysetPager(cursor, (at) => buildHref(paths.queue, { cursor: at }));
  const visibleSelected = jobs.filter((job) => selected.has(job.jobId)).map((job) => job.jobId);
  const allSelected = jobs.length > 0 && visibleSelected.length === jobs.length;
  const bulkResult = actions.retryJobs.data ?? actions.removeJobs.data;
  const actionError =
    actions.retryJob.error ?? actions.removeJob.error ?? actions.retryJobs.error ?? actions.removeJobs.error;

  function bulk(kind: 'retry' | 'remove') {
    const jobIds = visibleSelected;
    if (jobIds.length === 0) return;
    const mutation = kind === 'retry' ? actions.retryJobs : actions.removeJobs;
    mutation.mutate({ jobIds }, { onSuccess: selection.clear });
  }

  return (
    <>
      <div className="page-header">
        <h1>Queue</h1>
      </div>
      {overview.error ? <ErrorBox title="Queue unavailable">{errorMessage(overview.error)}</ErrorBox> : null}
      <dl className="stats stats--five">
        <StatCard label="Waiting" value={counts ? formatCount(counts.waiting) : null} tone="info" />
        <StatCard label="Active" value={counts ? formatCount(counts.active) : null} tone="active" />
        <StatCard label="Delayed" value={counts ? formatCount(counts.delayed) : null} tone="warning" />
        <StatCard label="Completed" value={counts ? formatCount(counts.completed) : null} tone="success" />
        <StatCard label="Failed" value={counts ? formatCount(counts.failed) : null} tone="danger" />
      </dl>

      <section className="section" aria-labelledby="dead-heading" aria-busy={overview.isFetching}>
        <div className="section__head">
          <h2 id="dead-heading">Dead letters</h2>
          <OperatorOnly>
            <div className="actions">
              <button
                type="button"
                className="button button--small"
                disabled={jobs.length === 0}
                onClick={() => selection.replace(allSelected ? [] : jobs.map((job) => job.jobId))}
              >
                {allSelected ? 'Select none' : 'Select all on this page'}
              </button>
              <ConfirmButton
                className="button button--small"
                label={`Retry selected (${visibleSelected.length})`}
                confirmLabel={`Press to retry ${visibleSelected.length}`}
                disabled={visibleSelected.length === 0 || actions.retryJobs.isPending}
                onConfirm={() => bulk('retry')}
              />
              <ConfirmButton
                className="button button--small"
                label={`Remove selected (${visibleSelected.length})`}
                confirmLabel={`Press to remove ${visibleSelected.length}`}
                disabled={visibleSelected.length === 0 || actions.removeJobs.isPending}
                onConfirm={() => bulk('remove')}
              />
            </div>
          </OperatorOnly>
        </div>
        <p className="muted">Jobs that failed their last attempt. Retrying one sends its task round again.</p>
        {actionError ? <ErrorBox title="The action failed">{errorMessage(actionError)}</ErrorBox> : null}
        {bulkResult ? <ActionResultNotice result={bulkResult} noun="job" /> : null}
        {actions.retryJob.isSuccess || actions.removeJob.isSuccess ? (
          <Notice tone="success">
            {actions.retryJob.isSuccess ? 'Job sent round again.' : 'Job removed.'}
          </Notice>
        ) : null}
        {overview.isPending ? <Loading /> : null}
        {overview.data && jobs.length === 0 ? (
          <Empty>No dead letters: every failed job was dealt with.</Empty>
        ) : null}
        {jobs.length > 0 ? (
          <div className="table-wrap">
            <table className="data data--cards">
              <caption className="visually-hidden">Dead-letter jobs</caption>
              <colgroup>
                {canAct ? <col className="col-check" /> : null}
                <col className="col-code" />
                <col className="col-code" />
                <col className="col-tasks" />
                <col />
                <col className="col-tasks" />
                {canAct ? <col className="col-actions" /> : null}
              </colgroup>
              <thead>
                <tr>
                  {canAct ? (
                    <th scope="col">
                      <span className="visually-hidden">Select</span>
                    </th>
                  ) : null}
                  <th scope="col">Job</th>
                  <th scope="col">Order</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Last error</th>
                  <th scope="col">Failed</th>
                  {canAct ? (
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  ) : null}
                </tr>
              </thead>
              <tbody>
                {jobs.map((job) => (
                  <DeadLetterRow
                    key={job.jobId}
                    job={job}
                    selected={selected.has(job.jobId)}
                    onSelect={(on) => selection.set(job.jobId, on)}
                    actions={actions}
                  />
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        <ListPager pager={pager} list={overview} />
      </section>
    </>
  );
}
