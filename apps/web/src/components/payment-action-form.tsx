import type { PaymentActionResult, PaymentResolution, PaymentTransactionView } from '@paidflow/contracts';
import { type FormEvent, useId, useState } from 'react';
import { errorMessage } from '../api/errors.ts';
import type { usePaymentActions } from '../hooks/use-payments.ts';
import { formatMoney } from '../lib/format.ts';
import { ErrorBox } from './feedback.tsx';

export type PaymentActionKind = 'match' | PaymentResolution;

const TITLES: Record<PaymentActionKind, string> = {
  match: 'Match to an order',
  refunded: 'Mark refunded',
  ignored: 'Mark ignored',
};

/** The order code a transfer's reason or content names, to start the match form with. */
export function codeIn(transaction: PaymentTransactionView): string {
  const text = `${transaction.reason ?? ''} ${transaction.content ?? ''}`;
  return /(?<![A-Z0-9])DH\d{6,12}(?!\d)/i.exec(text)?.[0].toUpperCase() ?? '';
}

/** What an action did, in words, for the notice after it. */
export function describePaymentResult(result: PaymentActionResult, code: string): string {
  if (result.status === 'refunded' || result.status === 'ignored') return `Transfer marked ${result.status}.`;
  const paid = `${formatMoney(result.paid ?? 0)} of ${formatMoney(result.total ?? 0)} paid`;
  if (result.orderPaid) {
    const over = result.status === 'overpaid' ? ' (overpaid)' : '';
    return `Matched to ${code}: ${paid}${over}. The order is paid and its tasks are queued.`;
  }
  return `Matched to ${code}: ${paid}. The order waits for the rest.`;
}

/**
 * The form of one operator action on a transfer: the order code for a match (the note is
 * optional), the note for a refund or an ignore (required: the server refuses an empty one).
 */
export function PaymentActionForm({
  transaction,
  kind,
  actions,
  onDone,
  onCancel,
}: {
  transaction: PaymentTransactionView;
  kind: PaymentActionKind;
  actions: ReturnType<typeof usePaymentActions>;
  onDone: (message: string) => void;
  onCancel: () => void;
}) {
  const [code, setCode] = useState(() => (kind === 'match' ? codeIn(transaction) : ''));
  const [note, setNote] = useState('');
  const codeId = useId();
  const noteId = useId();
  const mutation = kind === 'match' ? actions.match : actions.resolve;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (kind === 'match') {
      const orderCode = code.trim().toUpperCase();
      actions.match.mutate(
        { transactionId: transaction.id, orderCode, note: note.trim() || undefined },
        { onSuccess: (result) => onDone(describePaymentResult(result, orderCode)) },
      );
    } else {
      actions.resolve.mutate(
        { transactionId: transaction.id, resolution: kind, note: note.trim() },
        { onSuccess: (result) => onDone(describePaymentResult(result, '')) },
      );
    }
  }

  return (
    <form
      className="payment-action"
      onSubmit={submit}
      aria-label={`${TITLES[kind]}: transfer #${transaction.id}`}
    >
      <strong className="payment-action__title">{TITLES[kind]}</strong>
      {kind === 'match' ? (
        <div className="field">
          <label htmlFor={codeId}>Order code</label>
          <input
            id={codeId}
            className="input"
            required
            pattern="[Dd][Hh][0-9]{6,12}"
            title="DH followed by 6 to 12 digits"
            placeholder="DH123456"
            value={code}
            onChange={(event) => setCode(event.target.value)}
          />
        </div>
      ) : null}
      <div className="field">
        <label htmlFor={noteId}>{kind === 'match' ? 'Note (optional)' : 'Note'}</label>
        <input
          id={noteId}
          className="input"
          required={kind !== 'match'}
          maxLength={1000}
          placeholder={kind === 'refunded' ? 'Refund reference, who asked' : 'Why'}
          value={note}
          onChange={(event) => setNote(event.target.value)}
        />
      </div>
      <div className="actions">
        <button type="submit" className="button button--small button--primary" disabled={mutation.isPending}>
          {mutation.isPending ? 'Saving…' : TITLES[kind]}
        </button>
        <button type="button" className="button button--small" onClick={onCancel}>
          Cancel
        </button>
      </div>
      {mutation.error ? <ErrorBox title="Not done">{errorMessage(mutation.error)}</ErrorBox> : null}
    </form>
  );
}
