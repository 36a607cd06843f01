import type { PaymentTransactionView } from '@paidflow/contracts';
import { expect, test } from 'vitest';
import { codeIn, describePaymentResult } from './payment-action-form.tsx';
import { localDay, paymentListInput, readPaymentFilters } from './payment-filters.tsx';
import { outcomeLabel, paymentActionsFor } from './payment-outcome.tsx';

test('the filters are read from the URL, and anything unknown is left out', () => {
  const filters = readPaymentFilters(
    new URLSearchParams('q=%20FT123%20&outcome=attention&from=2026-03-01&to=2026-03-31&size=50&cursor=abc'),
  );
  expect(filters).toEqual({
    q: 'FT123',
    outcome: 'attention',
    from: '2026-03-01',
    to: '2026-03-31',
    cursor: 'abc',
    size: 50,
  });
  expect(readPaymentFilters(new URLSearchParams('outcome=paid&from=2026-02-30&to=tomorrow&size=7'))).toEqual({
    q: '',
    outcome: undefined,
    from: '',
    to: '',
    cursor: undefined,
    size: 25,
  });
});

test('a day range becomes [first midnight, the midnight after the last day); a reversed one is no query', () => {
  expect(localDay('2026-03-01')).toEqual(new Date(2026, 2, 1));
  expect(localDay('2026-02-28', 1)).toEqual(new Date(2026, 2, 1));
  expect(localDay('2026-13-01')).toBeNull();
  const base = readPaymentFilters(new URLSearchParams(''));
  expect(paymentListInput({ ...base, from: '2026-03-01', to: '2026-03-01' })).toMatchObject({
    from: new Date(2026, 2, 1),
    to: new Date(2026, 2, 2),
    limit: 25,
  });
  expect(paymentListInput({ ...base, from: '2026-03-02', to: '2026-03-01' })).toBeNull();
  expect(paymentListInput({ ...base, q: 'x' })).toEqual({ limit: 25, search: 'x' });
});

test('outcomes read as words, and each offers only the actions its status allows', () => {
  expect(outcomeLabel('ignored', 'order DH123456 is already paid')).toBe('already paid');
  expect(outcomeLabel('ignored', 'outgoing transfer')).toBe('ignored');
  expect(outcomeLabel('unmatched', null)).toBe('unmatched');
  expect(paymentActionsFor('unmatched', 'in')).toEqual({ match: true, ignore: true, refund: true });
  expect(paymentActionsFor('underpaid', 'in')).toEqual({ match: true, ignore: true, refund: true });
  expect(paymentActionsFor('ignored', 'in')).toEqual({ match: false, ignore: false, refund: true });
  expect(paymentActionsFor('ignored', 'out')).toEqual({ match: false, ignore: false, refund: false });
  for (const status of ['applied', 'overpaid', 'refunded', 'received'] as const) {
    expect(paymentActionsFor(status, 'in'), status).toEqual({ match: false, ignore: false, refund: false });
  }
});

test('the match form starts from the code the transfer named; its result reads in words', () => {
  const transaction = { reason: 'no order with code DH900012345', content: 'Thanh toan dh900012345' };
  expect(codeIn(transaction as PaymentTransactionView)).toBe('DH900012345');
  expect(codeIn({ reason: null, content: 'tien hoc' } as PaymentTransactionView)).toBe('');
  const paid = {
    transactionId: 1,
    status: 'applied',
    orderId: 2,
    orderPaid: true,
    paid: 300_000,
    total: 300_000,
  } as const;
  expect(describePaymentResult(paid, 'DH00012345')).toMatch(
    /^Matched to DH00012345: .* The order is paid and its tasks are queued\.$/,
  );
  expect(
    describePaymentResult({ ...paid, status: 'underpaid', orderPaid: false, paid: 100_000 }, 'DH00012345'),
  ).toMatch(/The order waits for the rest\.$/);
  expect(describePaymentResult({ ...paid, status: 'refunded', orderPaid: false }, '')).toBe(
    'Transfer marked refunded.',
  );
});
