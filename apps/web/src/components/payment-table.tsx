import type { PaymentTransactionView } from '@paidflow/contracts';
import { useState } from 'react';
import type { usePaymentActions } from '../hooks/use-payments.ts';
import { useSession } from '../hooks/use-session.ts';
import { formatDateTime, formatMoney } from '../lib/format.ts';
import { Link } from '../router/link.tsx';
import { paths } from '../router/routes.ts';
import { PaymentActionForm, type PaymentActionKind } from './payment-action-form.tsx';
import { PaymentOutcomeBadge, paymentActionsFor } from './payment-outcome.tsx';

type Actions = ReturnType<typeof usePaymentActions>;

function ActionButtons({
  transaction,
  onOpen,
}: {
  transaction: PaymentTransactionView;
  onOpen: (kind: PaymentActionKind) => void;
}) {
  const allowed = paymentActionsFor(transaction.status, transaction.transferType);
  if (!allowed.match && !allowed.refund && !allowed.ignore) return <span className="muted">—</span>;
  return (
    <div className="actions">
      {allowed.match ? (
        <button
          type="button"
          className="button button--small button--primary"
          onClick={() => onOpen('match')}
        >
          Match
        </button>
      ) : null}
      {allowed.refund ? (
        <button type="button" className="button button--small" onClick={() => onOpen('refunded')}>
          Refund
        </button>
      ) : null}
      {allowed.ignore ? (
        <button type="button" className="button button--small" onClick={() => onOpen('ignored')}>
          Ignore
        </button>
      ) : null}
    </div>
  );
}

interface RowProps {
  transaction: PaymentTransactionView;
  actions: Actions;
  /** What an action did, for the page's notice (a matched row may leave the filtered list). */
  onDone: (message: string) => void;
}

function PaymentRow({ transaction, actions, onDone }: RowProps) {
  const { canAct } = useSession();
  const [open, setOpen] = useState<PaymentActionKind | null>(null);
  const columns = canAct ? 7 : 6;
  const { order } = transaction;
  return (
    <>
      <tr data-transaction-id={transaction.id} data-status={transaction.status}>
        <td data-label="Received" className="num">
          {formatDateTime(transaction.receivedAt)}
        </td>
        <td data-label="Amount" className="num">
          {transaction.transferType === 'out' ? '−' : ''}
          {formatMoney(transaction.amount)}
        </td>
        <td data-label="Outcome">
          <PaymentOutcomeBadge status={transaction.status} reason={transaction.reason} />
          {transaction.resolvedBy ? (
            // Settled by an operator: who and why say more than what the webhook found.
            <div className="muted payment-reason" title={transaction.reason ?? undefined}>
              by {transaction.resolvedBy}
              {transaction.note ? `: ${transaction.note}` : ''}
            </div>
          ) : transaction.reason ? (
            <div className="muted payment-reason">{transaction.reason}</div>
          ) : null}
        </td>
        <td data-label="Reference" className="truncate" title={transaction.referenceCode ?? undefined}>
          <code>{transaction.referenceCode ?? '—'}</code>
          <div className="muted truncate">{transaction.gateway ?? transaction.provider}</div>
        </td>
        <td data-label="Content" className="payment-content">
          {transaction.content ?? <span className="muted">—</span>}
        </td>
        <td data-label="Order">
          {order ? (
            <>
              <Link to={paths.order(order.id)}>{order.code}</Link>
              <div className="muted">
                {order.paymentStatus} · {formatMoney(order.totalAmount)}
              </div>
            </>
          ) : (
            <span className="muted">—</span>
          )}
        </td>
        {canAct ? (
          <td data-label="Actions">
            <ActionButtons transaction={transaction} onOpen={setOpen} />
          </td>
        ) : null}
      </tr>
      {open ? (
        <tr className="payment-row-detail">
          <td colSpan={columns}>
            <PaymentActionForm
              key={open}
              transaction={transaction}
              kind={open}
              actions={actions}
              onCancel={() => setOpen(null)}
              onDone={(message) => {
                setOpen(null);
                onDone(message);
              }}
            />
          </td>
        </tr>
      ) : null}
    </>
  );
}

/** The inbox's transfers, one row each; operators get the actions each row allows. */
export function PaymentTable({
  items,
  actions,
  onDone,
}: {
  items: PaymentTransactionView[];
  actions: Actions;
  onDone: (message: string) => void;
}) {
  const { canAct } = useSession();
  return (
    <div className="table-wrap">
      <table className="data data--cards payments-table">
        <caption className="visually-hidden">Payment transactions, newest first</caption>
        <colgroup>
          <col className="col-time" />
          <col className="col-amount" />
          <col className="col-outcome" />
          <col className="col-reference" />
          <col />
          <col className="col-order" />
          {canAct ? <col className="col-payment-actions" /> : null}
        </colgroup>
        <thead>
          <tr>
            <th scope="col">Received</th>
            <th scope="col">Amount</th>
            <th scope="col">Outcome</th>
            <th scope="col">Reference</th>
            <th scope="col">Content</th>
            <th scope="col">Order</th>
            {canAct ? <th scope="col">Actions</th> : null}
          </tr>
        </thead>
        <tbody>
          {items.map((transaction) => (
            <PaymentRow key={transaction.id} transaction={transaction} actions={actions} onDone={onDone} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
