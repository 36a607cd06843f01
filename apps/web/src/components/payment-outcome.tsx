import type { PaymentTransactionStatus } from '@paidflow/contracts';
import type { Tone } from '../lib/labels.ts';
import { Badge } from './status-badge.tsx';

// How the inbox names and colours what became of a transfer (always a word, never colour alone).

const OUTCOME_TONES: Record<PaymentTransactionStatus, Tone> = {
  received: 'neutral',
  applied: 'success',
  overpaid: 'warning',
  underpaid: 'warning',
  unmatched: 'danger',
  ignored: 'muted',
  refunded: 'info',
  rejected: 'danger',
};

/** The outcome's word: a transfer for an order already paid reads "already paid". */
export function outcomeLabel(status: PaymentTransactionStatus, reason: string | null): string {
  if (status === 'ignored' && reason && /already paid/.test(reason)) return 'already paid';
  return status;
}

export function outcomeTone(status: PaymentTransactionStatus): Tone {
  return OUTCOME_TONES[status];
}

/** The statuses an operator acts on, and what they may do to each. */
export function paymentActionsFor(status: PaymentTransactionStatus, transferType: string) {
  const open = status === 'unmatched' || status === 'underpaid';
  return {
    match: open,
    ignore: open,
    refund: transferType === 'in' && (open || status === 'ignored'),
  };
}

export function PaymentOutcomeBadge({
  status,
  reason,
}: {
  status: PaymentTransactionStatus;
  reason: string | null;
}) {
  return (
    <Badge
      tone={outcomeTone(status)}
      label={outcomeLabel(status, reason)}
      title={reason ?? undefined}
      data={{ 'data-outcome': status }}
    />
  );
}
