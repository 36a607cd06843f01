import type { PaymentTransactionStatus } from '@paidflow/contracts';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { paymentTransactions } from '../schema.ts';
import { createTestDatabase, insertTestOrder, type TestDatabase } from '../testing.ts';
import { InvalidCursorError } from './cursor.ts';
import { recordPaymentTransaction } from './payments.ts';
import { getPaymentView, listPaymentTransactions, paymentAttentionCount } from './payments-inbox.ts';
import { parseAmountSearch } from './payments-search.ts';

let tdb: TestDatabase;
const BASE = Date.parse('2026-03-01T00:00:00.000Z');
const STATUSES: PaymentTransactionStatus[] = [
  'applied',
  'unmatched',
  'underpaid',
  'ignored',
  'overpaid',
  'refunded',
];
interface Fixture {
  id: number;
  status: PaymentTransactionStatus;
  receivedAt: Date;
  amount: number;
  reference: string;
  orderId: number | null;
}
const fixtures: Fixture[] = [];
let orderA: number;

/** Newest first, as the inbox orders them. */
function newestFirst(rows: Fixture[]): number[] {
  return [...rows]
    .sort((a, b) => b.receivedAt.getTime() - a.receivedAt.getTime() || b.id - a.id)
    .map((row) => row.id);
}

beforeAll(async () => {
  tdb = await createTestDatabase('payinbox');
  orderA = await insertTestOrder(tdb.db, {
    order_code: 'DH7700123',
    total_amount: 500_000,
    payment_status: 'pending',
  });
  // 36 transactions, two per hour (so the id breaks ties), cycling through the outcomes.
  for (let i = 0; i < 36; i++) {
    const status = STATUSES[i % STATUSES.length]!;
    const receivedAt = new Date(BASE + Math.floor(i / 2) * 3_600_000);
    const matched = ['applied', 'underpaid', 'overpaid'].includes(status);
    const orderId = matched && i % 4 === 2 ? orderA : null;
    const amount = 100_000 + i * 1000;
    const reference = `FT26${String(i).padStart(4, '0')}`;
    const [result] = await tdb.db.insert(paymentTransactions).values({
      provider: 'sepay',
      provider_transaction_id: String(9000 + i),
      order_id: orderId,
      amount,
      transfer_type: 'in',
      status,
      status_reason: status === 'unmatched' ? 'no order with code DH0000001' : null,
      gateway: i % 2 === 0 ? 'Vietcombank' : 'MBBank',
      reference_code: reference,
      content: i === 7 ? 'chuyen tien hoc phi khoa Python' : `Thanh toan don ${i}`,
      raw_payload: { i },
      received_at: receivedAt,
    });
    fixtures.push({ id: result.insertId, status, receivedAt, amount, reference, orderId });
  }
});
afterAll(async () => {
  await tdb?.[Symbol.asyncDispose]();
});

test('keyset pages walk every transaction newest first, ties broken by id, with no repeat or gap', async () => {
  const seen: number[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await listPaymentTransactions(tdb.db, { limit: 7, cursor });
    seen.push(...page.items.map((item) => item.id));
    cursor = page.nextCursor ?? undefined;
    pages++;
  } while (cursor);
  expect(pages).toBe(6);
  expect(seen).toEqual(newestFirst(fixtures));
});

test('each row carries what the inbox shows, and the order it was matched to', async () => {
  const matched = fixtures.find((row) => row.orderId === orderA)!;
  const view = await getPaymentView(tdb.db, matched.id);
  expect(view).toMatchObject({
    id: matched.id,
    provider: 'sepay',
    status: matched.status,
    amount: matched.amount,
    transferType: 'in',
    referenceCode: matched.reference,
    order: {
      id: orderA,
      code: 'DH7700123',
      totalAmount: 500_000,
      paymentStatus: 'pending',
      orderStatus: 'pending',
    },
    resolvedBy: null,
  });
  expect(view?.receivedAt).toEqual(matched.receivedAt);
  const unmatched = await getPaymentView(tdb.db, fixtures[1]!.id);
  expect(unmatched).toMatchObject({
    status: 'unmatched',
    reason: 'no order with code DH0000001',
    order: null,
  });
  expect(await getPaymentView(tdb.db, 999_999)).toBeNull();
});

test('the outcome filter takes one status, or attention for unmatched and underpaid together', async () => {
  for (const status of STATUSES) {
    const page = await listPaymentTransactions(tdb.db, { outcome: status, limit: 100 });
    expect(
      page.items.map((item) => item.id),
      status,
    ).toEqual(newestFirst(fixtures.filter((row) => row.status === status)));
  }
  const attention = await listPaymentTransactions(tdb.db, { outcome: 'attention', limit: 4 });
  const expected = newestFirst(fixtures.filter((row) => ['unmatched', 'underpaid'].includes(row.status)));
  expect(attention.items.map((item) => item.id)).toEqual(expected.slice(0, 4));
  const next = await listPaymentTransactions(tdb.db, {
    outcome: 'attention',
    limit: 100,
    cursor: attention.nextCursor!,
  });
  expect(next.items.map((item) => item.id)).toEqual(expected.slice(4));
  expect(next.nextCursor).toBeNull();
});

test('the search finds a reference code by its start, an order code, an amount and words of the content', async () => {
  const ids = async (search: string) =>
    (await listPaymentTransactions(tdb.db, { search, limit: 100 })).items.map((item) => item.id);
  expect(await ids('FT260012')).toEqual([fixtures[12]!.id]);
  expect(await ids('ft26001')).toEqual(newestFirst(fixtures.slice(10, 20)));
  // The matched order's code, in any case and by its start.
  const onOrderA = newestFirst(fixtures.filter((row) => row.orderId === orderA));
  expect(onOrderA.length).toBeGreaterThan(0);
  expect(await ids('dh7700123')).toEqual(onOrderA);
  expect(await ids('DH77001')).toEqual(onOrderA);
  // An amount, bare or written the Vietnamese way.
  expect(await ids('105000')).toEqual([fixtures[5]!.id]);
  expect(await ids('105.000 đ')).toEqual([fixtures[5]!.id]);
  // Words of the content, case-insensitively; LIKE wildcards are plain characters.
  expect(await ids('python')).toEqual([fixtures[7]!.id]);
  expect(await ids('hoc phi khoa')).toEqual([fixtures[7]!.id]);
  expect(await ids('%')).toEqual([]);
  expect(await ids('nothing like this')).toEqual([]);
});

test('the date range keeps [from, to), and combines with the other filters', async () => {
  const from = new Date(BASE + 3 * 3_600_000);
  const to = new Date(BASE + 6 * 3_600_000);
  const inRange = fixtures.filter((row) => row.receivedAt >= from && row.receivedAt < to);
  expect(inRange).toHaveLength(6);
  const page = await listPaymentTransactions(tdb.db, { from, to, limit: 100 });
  expect(page.items.map((item) => item.id)).toEqual(newestFirst(inRange));
  const since = await listPaymentTransactions(tdb.db, { from: new Date(BASE + 17 * 3_600_000), limit: 100 });
  expect(since.items).toHaveLength(2);
  const before = await listPaymentTransactions(tdb.db, { to: new Date(BASE + 3_600_000), limit: 100 });
  expect(before.items).toHaveLength(2);
  const unmatchedInRange = await listPaymentTransactions(tdb.db, {
    from,
    to,
    outcome: 'unmatched',
    limit: 100,
  });
  expect(unmatchedInRange.items.map((item) => item.id)).toEqual(
    newestFirst(inRange.filter((row) => row.status === 'unmatched')),
  );
});

test('bad input is refused: a malformed cursor, a reversed range, a page too large', async () => {
  await expect(listPaymentTransactions(tdb.db, { cursor: 'not-a-cursor!' })).rejects.toBeInstanceOf(
    InvalidCursorError,
  );
  await expect(listPaymentTransactions(tdb.db, { cursor: 'aTox' })).rejects.toBeInstanceOf(
    InvalidCursorError,
  );
  await expect(
    listPaymentTransactions(tdb.db, { from: new Date(BASE + 1), to: new Date(BASE) }),
  ).rejects.toThrow(/ends before it starts/);
  await expect(listPaymentTransactions(tdb.db, { limit: 500 })).rejects.toThrow();
});

test('the attention count is the unmatched and underpaid transactions', async () => {
  const unmatched = fixtures.filter((row) => row.status === 'unmatched').length;
  const underpaid = fixtures.filter((row) => row.status === 'underpaid').length;
  expect(await paymentAttentionCount(tdb.db)).toEqual({ total: unmatched + underpaid, unmatched, underpaid });
});

test('a stored transaction keeps its gateway, reference and content, cut to their columns', async () => {
  const stored = await recordPaymentTransaction(tdb.db, {
    provider: 'sepay',
    providerTransactionId: 'long-1',
    amount: 1,
    transferType: 'in',
    gateway: 'ACB',
    referenceCode: 'R'.repeat(150),
    content: 'c'.repeat(1500),
    rawPayload: {},
  });
  const view = await getPaymentView(tdb.db, stored.id);
  expect(view).toMatchObject({ gateway: 'ACB', status: 'received' });
  expect(view?.referenceCode).toHaveLength(100);
  expect(view?.content).toHaveLength(1000);
});

test('amounts are read from the ways people write them, and nothing else', () => {
  expect(parseAmountSearch('500000')).toBe(500_000);
  expect(parseAmountSearch('500.000')).toBe(500_000);
  expect(parseAmountSearch('1,500,000 VND')).toBe(1_500_000);
  expect(parseAmountSearch('500 000₫')).toBe(500_000);
  for (const text of ['FT123', '50.00', '1.5', 'DH123456', '', '12,34'])
    expect(parseAmountSearch(text), text).toBeNull();
});
