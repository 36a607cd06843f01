import { useCallback, useState } from 'react';
import { errorMessage } from '../api/errors.ts';
import { Empty, ErrorBox, Loading, Notice } from '../components/feedback.tsx';
import { ListPager, useKeysetPager } from '../components/pager.tsx';
import {
  PAYMENT_PAGE_SIZES,
  PaymentFilters,
  paymentListInput,
  readPaymentFilters,
} from '../components/payment-filters.tsx';
import { PaymentTable } from '../components/payment-table.tsx';
import { usePaymentActions, usePaymentAttention, usePaymentsList } from '../hooks/use-payments.ts';
import { useUrlDraft } from '../hooks/use-url-draft.ts';
import { formatCount } from '../lib/format.ts';
import { buildHref, navigate, useLocation } from '../router/history.ts';
import { paths } from '../router/routes.ts';

const SEARCH_DELAY_MS = 300;

/**
 * The payments inbox: every transfer the provider sent, newest first, with what became of it.
 * New transfers appear live (payments.live refetches the page); operators match, refund or
 * ignore the ones no order took whole.
 */
export function PaymentsPage() {
  const { search } = useLocation();
  const filters = readPaymentFilters(search);
  // The default size stays out of the URL.
  const sizeParam = filters.size === PAYMENT_PAGE_SIZES[0] ? undefined : filters.size;
  const hrefWith = useCallback(
    (change: { q?: string; outcome?: string; from?: string; to?: string; size?: string; cursor?: string }) =>
      buildHref(paths.payments, {
        q: filters.q,
        outcome: filters.outcome,
        from: filters.from,
        to: filters.to,
        size: sizeParam,
        ...change,
      }),
    [filters.q, filters.outcome, filters.from, filters.to, sizeParam],
  );
  const { draft, setDraft, submit } = useUrlDraft(
    filters.q,
    (q, { typing }) => navigate(hrefWith({ q }), { replace: typing }),
    SEARCH_DELAY_MS,
  );
  const pager = useKeysetPager(filters.cursor, (cursor) => hrefWith({ cursor }));
  const input = paymentListInput(filters);
  const list = usePaymentsList(input);
  const attention = usePaymentAttention();
  const actions = usePaymentActions();
  const [done, setDone] = useState<string | null>(null);
  const items = list.data?.items ?? [];
  const filtered = Boolean(filters.q || filters.outcome || filters.from || filters.to);
  const waiting = attention.data?.total;

  return (
    <>
      <div className="page-header">
        <h1>Payments</h1>
        {waiting !== undefined ? (
          <p className="muted" data-testid="payments-attention">
            {waiting === 0
              ? 'No payment needs attention.'
              : `${formatCount(waiting)} need attention: ${formatCount(attention.data?.unmatched ?? 0)} unmatched, ${formatCount(attention.data?.underpaid ?? 0)} underpaid.`}
          </p>
        ) : null}
      </div>
      {done ? <Notice tone="success">{done}</Notice> : null}

      <PaymentFilters
        filters={filters}
        draft={draft}
        onDraft={setDraft}
        onSubmit={submit}
        onChange={(change) => navigate(hrefWith(change))}
      />

      <section className="section" aria-labelledby="payments-table-heading" aria-busy={list.isFetching}>
        <h2 id="payments-table-heading" className="visually-hidden">
          Transactions
        </h2>
        {input === null ? <Notice tone="info">The date range ends before it starts.</Notice> : null}
        {list.error ? <ErrorBox title="Payments unavailable">{errorMessage(list.error)}</ErrorBox> : null}
        {input !== null && list.isPending ? <Loading label="Loading payments…" /> : null}
        {list.data && items.length === 0 ? (
          <Empty>{filtered ? 'No payment matches these filters.' : 'No payment received yet.'}</Empty>
        ) : null}
        {items.length > 0 ? <PaymentTable items={items} actions={actions} onDone={setDone} /> : null}
        <ListPager pager={pager} list={list} />
      </section>
    </>
  );
}
