import type { OrderStatus } from '@paidflow/contracts';
import { ORDER_STATUSES } from '@paidflow/contracts/constants';
import { type FormEvent, useCallback, useId } from 'react';
import { errorMessage } from '../api/errors.ts';
import { ActionResultNotice } from '../components/action-result.tsx';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { Empty, ErrorBox, Loading, Notice } from '../components/feedback.tsx';
import { OperatorOnly } from '../components/operator-only.tsx';
import { OrdersTable } from '../components/orders-table.tsx';
import { useOrderStream, useOrdersList, useRetryMatching } from '../hooks/use-orders.ts';
import { useUrlDraft } from '../hooks/use-url-draft.ts';
import { buildHref, cursorStack, navigate, useLocation } from '../router/history.ts';
import { paths } from '../router/routes.ts';

const PAGE_SIZES = [25, 50, 100] as const;
const SEARCH_DELAY_MS = 300;

/** The filters, read from the URL (the one place they live). */
export function readOrderFilters(search: URLSearchParams) {
  const status = search.get('status');
  return {
    q: (search.get('q') ?? '').trim(),
    status: (ORDER_STATUSES as readonly string[]).includes(status ?? '')
      ? (status as OrderStatus)
      : undefined,
    cursor: search.get('cursor') || undefined,
    size: PAGE_SIZES.find((size) => String(size) === search.get('size')) ?? PAGE_SIZES[0],
  };
}

function OrderStream({ orderId }: { orderId: number }) {
  useOrderStream(orderId);
  return null;
}

const watch = (orderId: number) => <OrderStream orderId={orderId} />;

export function OrdersPage() {
  const { search, state } = useLocation();
  const filters = readOrderFilters(search);
  const stack = cursorStack(state);
  // The default size stays out of the URL.
  const sizeParam = filters.size === PAGE_SIZES[0] ? undefined : filters.size;
  /** This list's URL with some of its filters changed (no cursor: the first page). */
  const ordersHref = useCallback(
    (change: { q?: string; status?: string; size?: string; cursor?: string }) =>
      buildHref(paths.orders, { q: filters.q, status: filters.status, size: sizeParam, ...change }),
    [filters.q, filters.status, sizeParam],
  );
  const sizeId = useId();
  const { draft, setDraft, submit } = useUrlDraft(
    filters.q,
    (q, { typing }) => navigate(ordersHref({ q }), { replace: typing }),
    SEARCH_DELAY_MS,
  );
  const searchId = useId();
  const statusId = useId();
  const list = useOrdersList({
    limit: filters.size,
    status: filters.status,
    search: filters.q || undefined,
    cursor: filters.cursor,
  });
  const retryMatching = useRetryMatching();

  function submitSearch(event: FormEvent) {
    event.preventDefault();
    submit();
  }

  function setStatus(value: string) {
    navigate(ordersHref({ status: value }));
  }

  function goNext(nextCursor: string) {
    navigate(ordersHref({ cursor: nextCursor }), { state: { cursors: [...stack, filters.cursor ?? ''] } });
  }

  function goPrevious() {
    const previous = stack.at(-1) ?? '';
    navigate(ordersHref({ cursor: previous }), { state: { cursors: stack.slice(0, -1) } });
  }

  const orders = list.data?.items ?? [];
  const nextCursor = list.data?.nextCursor ?? null;

  return (
    <>
      <div className="page-header">
        <h1>Paid orders</h1>
        <OperatorOnly>
          <ConfirmButton
            label="Retry failed tasks of these orders"
            confirmLabel="Press again to retry them all"
            disabled={retryMatching.isPending}
            onConfirm={() =>
              retryMatching.mutate({
                filter: { orderStatus: filters.status, search: filters.q || undefined },
              })
            }
          />
        </OperatorOnly>
      </div>
      {retryMatching.data ? <ActionResultNotice result={retryMatching.data} noun="task" /> : null}
      {retryMatching.error ? (
        <ErrorBox title="Retry failed">{errorMessage(retryMatching.error)}</ErrorBox>
      ) : null}

      <search>
        <form className="filters" onSubmit={submitSearch}>
          <div className="field">
            <label htmlFor={searchId}>Search by order code or email</label>
            <input
              id={searchId}
              className="input"
              type="search"
              placeholder="DH123456 or name@example.com"
              value={draft}
              maxLength={255}
              onChange={(event) => setDraft(event.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={statusId}>Status</label>
            <select
              id={statusId}
              className="select"
              value={filters.status ?? ''}
              onChange={(event) => setStatus(event.target.value)}
            >
              <option value="">All statuses</option>
              {ORDER_STATUSES.map((status) => (
                <option key={status} value={status}>
                  {status}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={sizeId}>Per page</label>
            <select
              id={sizeId}
              className="select"
              value={filters.size}
              onChange={(event) => navigate(ordersHref({ size: event.target.value }))}
            >
              {PAGE_SIZES.map((size) => (
                <option key={size} value={size}>
                  {size}
                </option>
              ))}
            </select>
          </div>
          <button className="button" type="submit">
            Search
          </button>
        </form>
      </search>

      <section className="section" aria-labelledby="orders-table-heading" aria-busy={list.isFetching}>
        <h2 id="orders-table-heading" className="visually-hidden">
          Results
        </h2>
        {list.error ? <ErrorBox title="Orders unavailable">{errorMessage(list.error)}</ErrorBox> : null}
        {list.isPending ? <Loading label="Loading orders…" /> : null}
        {list.data && orders.length === 0 ? (
          <Empty>
            {filters.q || filters.status ? 'No paid order matches these filters.' : 'No paid orders yet.'}
          </Empty>
        ) : null}
        {orders.length > 0 ? <OrdersTable orders={orders} watch={watch} /> : null}
        {list.isPlaceholderData ? <Notice tone="info">Loading the page…</Notice> : null}
        <nav className="pager" aria-label="Pages">
          {filters.cursor ? (
            <button type="button" className="button" onClick={() => navigate(ordersHref({}))}>
              First page
            </button>
          ) : null}
          {filters.cursor && stack.length > 0 ? (
            <button type="button" className="button" onClick={goPrevious}>
              Previous
            </button>
          ) : null}
          <button
            type="button"
            className="button"
            disabled={!nextCursor || list.isPlaceholderData}
            onClick={() => nextCursor && goNext(nextCursor)}
          >
            Next
          </button>
        </nav>
      </section>
    </>
  );
}
