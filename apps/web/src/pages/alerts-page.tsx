import { useCallback } from 'react';
import { errorMessage } from '../api/errors.ts';
import { AlertFilters, alertListInput, readAlertFilters } from '../components/alert-filters.tsx';
import { AlertTable } from '../components/alert-table.tsx';
import { Empty, ErrorBox, Loading } from '../components/feedback.tsx';
import { ListPager, useKeysetPager } from '../components/pager.tsx';
import { useAlertsList } from '../hooks/use-alerts.ts';
import { buildHref, navigate, useLocation } from '../router/history.ts';
import { paths } from '../router/routes.ts';

/**
 * The alerts Paidflow raised about itself (docs/alerts.md): what fires now and the history, by
 * state and kind. alerts.live (followed by the banner) refetches it as alerts change.
 */
export function AlertsPage() {
  const { search } = useLocation();
  const filters = readAlertFilters(search);
  const hrefWith = useCallback(
    (change: { state?: string; kind?: string; cursor?: string }) =>
      buildHref(paths.alerts, { state: filters.state, kind: filters.kind, ...change }),
    [filters.state, filters.kind],
  );
  const pager = useKeysetPager(filters.cursor, (cursor) => hrefWith({ cursor }));
  const list = useAlertsList(alertListInput(filters));
  const items = list.data?.items ?? [];
  const filtered = Boolean(filters.state || filters.kind);

  return (
    <>
      <div className="page-header">
        <h1>Alerts</h1>
        <p className="muted">
          Raised once, reminded while they fire, resolved when the condition clears; sent by e-mail and to the
          alert webhook.
        </p>
      </div>
      <AlertFilters filters={filters} onChange={(change) => navigate(hrefWith(change))} />
      <section className="section" aria-labelledby="alerts-table-heading" aria-busy={list.isFetching}>
        <h2 id="alerts-table-heading" className="visually-hidden">
          Alert history
        </h2>
        {list.error ? <ErrorBox title="Alerts unavailable">{errorMessage(list.error)}</ErrorBox> : null}
        {list.isPending ? <Loading label="Loading alerts…" /> : null}
        {list.data && items.length === 0 ? (
          <Empty>{filtered ? 'No alert matches these filters.' : 'No alert was ever raised.'}</Empty>
        ) : null}
        {items.length > 0 ? <AlertTable items={items} /> : null}
        <ListPager pager={pager} list={list} />
      </section>
    </>
  );
}
