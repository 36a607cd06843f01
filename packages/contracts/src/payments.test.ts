import { expect, test } from 'vitest';
import { PAYMENT_ATTENTION_STATUSES, PAYMENT_TRANSACTION_STATUSES } from './constants.ts';
import {
  ListPaymentsInput,
  MatchPaymentInput,
  PaymentLiveEvent,
  PaymentOutcomeFilter,
  PaymentStatusEvent,
  PaymentTransactionView,
  ResolvePaymentInput,
} from './payments.ts';

test('the outcome filter takes every status and "attention", nothing else', () => {
  for (const status of [...PAYMENT_TRANSACTION_STATUSES, 'attention']) {
    expect(PaymentOutcomeFilter.safeParse(status).success, status).toBe(true);
  }
  for (const bad of ['paid', 'Applied', '', 'attention ']) {
    expect(PaymentOutcomeFilter.safeParse(bad).success, bad).toBe(false);
  }
  expect(PAYMENT_ATTENTION_STATUSES).toEqual(['unmatched', 'underpaid']);
});

test('the list input defaults its page size, trims the search and refuses a reversed date range', () => {
  expect(ListPaymentsInput.parse({})).toEqual({ limit: 25 });
  expect(ListPaymentsInput.parse({ search: '  FT123  ', outcome: 'attention' })).toEqual({
    search: 'FT123',
    outcome: 'attention',
    limit: 25,
  });
  const from = new Date('2026-01-02T00:00:00Z');
  const to = new Date('2026-01-03T00:00:00Z');
  expect(ListPaymentsInput.safeParse({ from, to }).success).toBe(true);
  expect(ListPaymentsInput.safeParse({ from, to: from }).success).toBe(true);
  const reversed = ListPaymentsInput.safeParse({ from: to, to: from });
  expect(reversed.success).toBe(false);
  expect(reversed.error?.issues[0]).toMatchObject({
    path: ['to'],
    message: 'the date range ends before it starts',
  });
  for (const bad of [
    { search: '   ' },
    { limit: 0 },
    { limit: 101 },
    { from: '2026-01-01' },
    { cursor: '' },
  ]) {
    expect(ListPaymentsInput.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  }
});

test('a match takes an order code in any case with spaces around, and refuses anything else', () => {
  expect(MatchPaymentInput.parse({ transactionId: 4, orderCode: ' dh00012345 ' })).toEqual({
    transactionId: 4,
    orderCode: 'DH00012345',
  });
  for (const orderCode of ['', 'DH12', '12345678', 'DH123456789012345', 42]) {
    expect(MatchPaymentInput.safeParse({ transactionId: 4, orderCode }).success, String(orderCode)).toBe(
      false,
    );
  }
  expect(MatchPaymentInput.safeParse({ transactionId: 0, orderCode: 'DH00012345' }).success).toBe(false);
  expect(MatchPaymentInput.safeParse({ transactionId: 4, orderCode: 'DH00012345', note: ' ' }).success).toBe(
    false,
  );
});

test('a resolution is refunded or ignored, always with a note', () => {
  expect(
    ResolvePaymentInput.parse({ transactionId: 9, resolution: 'refunded', note: ' sent back ' }),
  ).toEqual({
    transactionId: 9,
    resolution: 'refunded',
    note: 'sent back',
  });
  for (const bad of [
    { transactionId: 9, resolution: 'refunded' },
    { transactionId: 9, resolution: 'refunded', note: '   ' },
    { transactionId: 9, resolution: 'applied', note: 'x' },
    { transactionId: 9, resolution: 'ignored', note: 'x'.repeat(1001) },
  ]) {
    expect(ResolvePaymentInput.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  }
});

test('an inbox row and a live payment event parse as the server sends them', () => {
  const row = {
    id: 3,
    provider: 'sepay',
    providerTransactionId: '92704',
    status: 'underpaid',
    reason: 'amount 100000 < total 500000',
    amount: 100_000,
    transferType: 'in',
    gateway: 'Vietcombank',
    referenceCode: 'FT25152123456',
    content: 'Thanh toan DH00012345',
    receivedAt: new Date(),
    processedAt: new Date(),
    order: {
      id: 7,
      code: 'DH00012345',
      totalAmount: 500_000,
      paymentStatus: 'underpaid',
      orderStatus: 'pending',
    },
    resolvedBy: null,
    resolvedAt: null,
    note: null,
  };
  expect(PaymentTransactionView.parse(row)).toEqual(row);
  const event = {
    transactionId: 3,
    orderId: 7,
    previousStatus: 'received',
    status: 'underpaid',
    amount: 1,
    timestamp: 1,
  };
  expect(PaymentStatusEvent.parse(event)).toEqual(event);
  expect(PaymentLiveEvent.parse({ kind: 'payment.status', data: event })).toEqual({
    kind: 'payment.status',
    data: event,
  });
  expect(PaymentLiveEvent.safeParse({ kind: 'payment.status', data: { ...event, amount: -1 } }).success).toBe(
    false,
  );
});
