import type { OrderPriority, OrderStatus } from '@paidflow/contracts';
import { ORDER_PRIORITIES, ORDER_STATUSES } from '@paidflow/contracts/constants';
import { type FormEvent, useCallback, useId } from 'react';
import { errorMessage } from '../api/errors.ts';
import { ActionResultNotice } from '../components/action-result.tsx';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { Empty, ErrorBox, Loading } from '../components/feedback.tsx';
import { OperatorOnly } from '../components/operator-only.tsx';
import { OrdersTable } from '../components/orders-table.tsx';
import { ListPager, useKeysetPager } from '../components/pager.tsx';
import { SelectField } from '../components/select-field.tsx';
import { useOrderStream, useOrdersList, useRetryMatching } from '../hooks/use-orders.ts';
import { useUrlDraft } from '../hooks/use-url-draft.ts';
import { buildHref, navigate, useLocation } from '../router/history.ts';
import { paths } from '../router/routes.ts';

const PAGE_SIZES = [25, 50, 100] as const;
const STATUS_OPTIONS = [
  { value: '' as const, label: 'All statuses' },
  ...ORDER_STATUSES.map((status) => ({ value: status, label: status })),
];
const PRIORITY_OPTIONS = [
  { value: '' as const, label: 'All priorities' },
  ...ORDER_PRIORITIES.map((priority) => ({ value: priority, label: priority === 'vip' ? 'VIP' : 'Normal' })),
];
const SIZE_OPTIONS = PAGE_SIZES.map((size) => ({ value: size, label: String(size) }));
const SEARCH_DELAY_MS = 300;

/** The filters, read from the URL (the one place they live). */
export function readOrderFilters(search: URLSearchParams) {
  const status = search.get('status');
  const priority = search.get('priority');
  return {
    q: (search.get('q') ?? '').trim(),
    status: (ORDER_STATUSES as readonly string[]).includes(status ?? '')
      ? (status as OrderStatus)
      : undefined,
    priority: (ORDER_PRIORITIES as readonly string[]).includes(priority ?? '')
      ? (priority as OrderPriority)
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
  const { search } = useLocation();
  const filters = readOrderFilters(search);
  // The default size stays out of the URL.
  const sizeParam = filters.size === PAGE_SIZES[0] ? undefined : filters.size;
  /** This list's URL with some of its filters changed (no cursor: the first page). */
  const ordersHref = useCallback(
    (change: { q?: string; status?: string; priority?: string; size?: string; cursor?: string }) =>
      buildHref(paths.orders, {
        q: filters.q,
        status: filters.status,
        priority: filters.priority,
        size: sizeParam,
        ...change,
      }),
    [filters.q, filters.status, filters.priority, sizeParam],
  );
  const { draft, setDraft, submit } = useUrlDraft(
    filters.q,
    (q, { typing }) => navigate(ordersHref({ q }), { replace: typing }),
    SEARCH_DELAY_MS,
  );
  const searchId = useId();
  const pager = useKeysetPager(filters.cursor, (cursor) => ordersHref({ cursor }));
  const list = useOrdersList({
    limit: filters.size,
    status: filters.status,
    priority: filters.priority,
    search: filters.q || undefined,
    cursor: filters.cursor,
  });
  const retryMatching = useRetryMatching();

  function submitSearch(event: FormEvent) {
    event.preventDefault();
    submit();
  }

  const orders = list.data?.items ?? [];

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
          <SelectField
            label="Status"
            value={filters.status ?? ''}
            options={STATUS_OPTIONS}
            onChange={(status) => navigate(ordersHref({ status }))}
          />
          <SelectField
            label="Priority"
            value={filters.priority ?? ''}
            options={PRIORITY_OPTIONS}
            onChange={(priority) => navigate(ordersHref({ priority }))}
          />
          <SelectField
            label="Per page"
            value={filters.size}
            options={SIZE_OPTIONS}
            onChange={(size) => navigate(ordersHref({ size }))}
          />
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
            {filters.q || filters.status || filters.priority
              ? 'No paid order matches these filters.'
              : 'No paid orders yet.'}
          </Empty>
        ) : null}
        {orders.length > 0 ? <OrdersTable orders={orders} watch={watch} /> : null}
        <ListPager pager={pager} list={list} />
      </section>
    </>
  );
}
