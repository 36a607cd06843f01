import type { OrderDetailWithLive } from '@paidflow/contracts';
import { useEffect, useRef, useState } from 'react';
import { errorMessage } from '../api/errors.ts';
import { useAuditLog } from '../hooks/use-order-detail.ts';
import { type AuditFilters, auditFilterParams, readAuditFilters } from '../lib/audit-filters.ts';
import { navigate, useLocation } from '../router/history.ts';
import { paths } from '../router/routes.ts';
import { AuditArchiveNote } from './audit-archive-note.tsx';
import { type AuditItem, AuditTimeline } from './audit-timeline.tsx';
import { ErrorBox, Loading } from './feedback.tsx';

/**
 * "Show audit logs": the order's timeline behind a toggle, its open state and filters in the URL,
 * with the events that arrive while it is open highlighted.
 */
export function AuditPanel({ order }: { order: OrderDetailWithLive }) {
  const { search } = useLocation();
  const open = search.get('audit') === '1';
  const filters = readAuditFilters(search);
  const log = useAuditLog(order.id, filters, open);
  const events: AuditItem[] = log.data?.pages.flatMap((page) => page.items) ?? [];

  // Events that arrive while the timeline is open are highlighted; the first page is not.
  // A filter change starts a new first page: nothing in it counts as new.
  const known = useRef<{ filters: string; ids: Set<number> } | null>(null);
  const [newIds, setNewIds] = useState<ReadonlySet<number>>(new Set());
  const filterKey = JSON.stringify(filters);
  useEffect(() => {
    if (!log.data) return;
    const ids = log.data.pages.flatMap((page) => page.items.map((item) => item.id));
    if (known.current?.filters !== filterKey) {
      known.current = { filters: filterKey, ids: new Set(ids) };
      setNewIds(new Set());
      return;
    }
    const seen = known.current.ids;
    const fresh = ids.filter((id) => !seen.has(id));
    if (fresh.length === 0) return;
    for (const id of fresh) seen.add(id);
    setNewIds((previous) => new Set([...previous, ...fresh]));
  }, [log.data, filterKey]);

  function setParams(params: Record<string, string | null>, replace = false) {
    const next = new URLSearchParams(search);
    for (const [key, value] of Object.entries(params)) {
      if (value === null) next.delete(key);
      else next.set(key, value);
    }
    const query = next.toString();
    navigate(query ? `${paths.order(order.id)}?${query}` : paths.order(order.id), { replace });
  }

  function setFilters(next: AuditFilters) {
    setParams(auditFilterParams(next), true);
  }

  return (
    <section className="section" aria-labelledby="audit-heading">
      <div className="section__head">
        <h2 id="audit-heading">Audit log</h2>
        <button
          type="button"
          className="button"
          aria-expanded={open}
          aria-controls="audit-body"
          onClick={() => setParams(open ? { audit: null, sev: null, cat: null, task: null } : { audit: '1' })}
        >
          {open ? 'Hide audit logs' : 'Show audit logs'}
        </button>
      </div>
      <div id="audit-body" hidden={!open}>
        {open ? (
          <>
            {log.error ? <ErrorBox title="Audit log unavailable">{errorMessage(log.error)}</ErrorBox> : null}
            {log.isPending ? <Loading label="Loading the audit log…" /> : null}
            {log.data ? (
              <AuditTimeline
                events={events}
                filters={filters}
                onFiltersChange={setFilters}
                tasks={order.tasks.map((task) => ({ id: task.id, title: task.title }))}
                newIds={newIds}
                hasMore={log.hasNextPage}
                loadingMore={log.isFetchingNextPage}
                onLoadMore={() => void log.fetchNextPage()}
              />
            ) : null}
            {/* At the end of the timeline: the older events that the retention job archived. */}
            {log.data && !log.hasNextPage ? <AuditArchiveNote orderId={order.id} /> : null}
          </>
        ) : null}
      </div>
    </section>
  );
}
