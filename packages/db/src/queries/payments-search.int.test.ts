import type { ListPaymentsInput, PaymentTransactionStatus } from '@paidflow/contracts';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestDatabase, insertTestOrder, type TestDatabase } from '../testing.ts';
import { listPaymentTransactions } from './payments-inbox.ts';
import {
  CONTENT_WALK_WINDOWS,
  contentWords,
  fulltextQuery,
  NARROW_REFERENCE_LIMIT,
  orderCodeWords,
  wordPatterns,
} from './payments-search.ts';

// Enough transfers that a broad reference prefix takes the newest-first walk instead of its
// index (NARROW_REFERENCE_LIMIT), with ties on received_at, to check that every way the search
// reads gives exactly the rows, in the order, that its definition gives.
const COUNT = NARROW_REFERENCE_LIMIT + 100;
const BASE = Date.parse('2026-05-01T00:00:00.000Z');

interface Row {
  id: number;
  status: PaymentTransactionStatus;
  receivedAt: number;
  amount: number;
  reference: string;
  content: string;
  orderCode: string | null;
}
let tdb: TestDatabase;
let rows: Row[] = [];

function expected(keep: (row: Row) => boolean): number[] {
  return rows
    .filter(keep)
    .sort((a, b) => b.receivedAt - a.receivedAt || b.id - a.id)
    .map((row) => row.id);
}

/** Every page of a search, walked by its cursor. */
async function walk(input: ListPaymentsInput, limit = 100): Promise<number[]> {
  const seen: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await listPaymentTransactions(tdb.db, { ...input, limit, cursor });
    seen.push(...page.items.map((item) => item.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return seen;
}

beforeAll(async () => {
  tdb = await createTestDatabase('paysearch');
  const orderIds: number[] = [];
  for (let i = 1; i <= 3; i++)
    orderIds.push(await insertTestOrder(tdb.db, { order_code: `DH88000${i}`, total_amount: 1 }));
  // MariaDB's sequence engine writes the transfers server-side; two share each second.
  await tdb.pool.query(
    `INSERT INTO payment_transactions
       (provider, provider_transaction_id, order_id, amount, transfer_type, status, reference_code, content,
        raw_payload, received_at)
     SELECT 'sepay', CONCAT('t', seq), ELT(1 + seq % 500, ?, ?, ?), 100000 + (seq % 7) * 1000, 'in',
       IF(seq % 3 = 0, 'unmatched', 'applied'), CONCAT('FTB', LPAD(seq, 5, '0')),
       IF(seq % 10 = 0, CONCAT('hoan tien khoa hoc ', seq), CONCAT('Thanh toan don ', seq)), '{}',
       FROM_UNIXTIME(? + seq DIV 2)
     FROM seq_1_to_${COUNT}`,
    [...orderIds, BASE / 1000],
  );
  // Vietnamese words, the newest transfer and the oldest: one read row by row, one by the index.
  for (const [id, at] of [
    ['vi-new', BASE + 10_000_000],
    ['vi-old', BASE - 1000],
  ] as const)
    await tdb.pool.query(
      `INSERT INTO payment_transactions (provider, provider_transaction_id, amount, transfer_type, status,
         reference_code, content, raw_payload, received_at)
       VALUES ('sepay', ?, 2, 'in', 'unmatched', 'VI1', 'Nộp học phí khóa Python', '{}', ?)`,
      [id, new Date(at)],
    );
  // An unmatched transfer with the order code in its content, as customers write it.
  await tdb.pool.query(
    `INSERT INTO payment_transactions (provider, provider_transaction_id, amount, transfer_type, status,
       reference_code, content, raw_payload, received_at)
     VALUES ('sepay', 'code-in-content', 1, 'in', 'unmatched', 'MB1', 'MBVCB.42.DH990077.chuyen khoan', '{}', ?)`,
    [new Date(BASE)],
  );
  const [stored] = await tdb.pool.query(
    `SELECT p.id, p.status, UNIX_TIMESTAMP(p.received_at) * 1000 AS receivedAt, p.amount, p.reference_code,
       p.content, o.order_code FROM payment_transactions p LEFT JOIN orders o ON o.id = p.order_id`,
  );
  rows = (stored as Array<Record<string, unknown>>).map((row) => ({
    id: Number(row.id),
    status: row.status as PaymentTransactionStatus,
    receivedAt: Number(row.receivedAt),
    amount: Number(row.amount),
    reference: String(row.reference_code),
    content: String(row.content),
    orderCode: row.order_code === null ? null : String(row.order_code),
  }));
  expect(rows).toHaveLength(COUNT + 3);
});
afterAll(async () => {
  await tdb?.[Symbol.asyncDispose]();
});

test('a broad reference prefix walks the inbox and a narrow one reads its index: both exact, page by page', async () => {
  expect(await walk({ search: 'FTB' })).toEqual(expected((row) => row.reference.startsWith('FTB')));
  const narrow = expected((row) => row.reference.startsWith('FTB001'));
  expect(narrow.length).toBe(100);
  expect(await walk({ search: 'ftb001' }, 7)).toEqual(narrow);
  expect(await walk({ search: 'FTB001', outcome: 'unmatched' }, 9)).toEqual(
    expected((row) => row.reference.startsWith('FTB001') && row.status === 'unmatched'),
  );
});

test('an amount, an order code and content words are each found through their own index, merged in order', async () => {
  // "101.000": the amount only (it is no code, reference or word of the content).
  expect(await walk({ search: '101.000' })).toEqual(expected((row) => row.amount === 101_000));
  // "DH88000": transfers matched to those orders.
  const matched = expected((row) => row.orderCode?.startsWith('DH88000') === true);
  expect(matched.length).toBeGreaterThan(20);
  expect(await walk({ search: 'dh88000' }, 5)).toEqual(matched);
  // "101000" is an amount and an order code's digits (no order has them) at once.
  expect(await walk({ search: '101000' })).toEqual(expected((row) => row.amount === 101_000));
  // An order code written in the content, with or without its DH, by its start.
  const inContent = expected((row) => row.content.includes('DH990077'));
  expect(inContent).toHaveLength(1);
  for (const search of ['990077', 'dh99007', 'DH990077'])
    expect(await walk({ search }), search).toEqual(inContent);
  // Words of the content by their start, with the outcome and a date range.
  const from = new Date(BASE + 500_000);
  const to = new Date(BASE + 1_500_000);
  expect(await walk({ search: 'hoan ti khoa', outcome: 'unmatched', from, to }, 11)).toEqual(
    expected(
      (row) =>
        row.content.startsWith('hoan tien khoa') &&
        row.status === 'unmatched' &&
        row.receivedAt >= from.getTime() &&
        row.receivedAt < to.getTime(),
    ),
  );
  // Across the first window (read row by row) and the older transfers (the index).
  expect(COUNT).toBeGreaterThan(CONTENT_WALK_WINDOWS[0]);
  expect(await walk({ search: 'hoan ti khoa' }, 11)).toEqual(
    expected((row) => row.content.startsWith('hoan tien')),
  );
  const vietnamese = expected((row) => row.content.startsWith('Nộp'));
  expect(vietnamese).toHaveLength(2);
  // With or without the marks, in any case, as the column's collation compares them.
  for (const search of ['học phí', 'HỌC PHÍ khóa', 'hoc phi khoa', 'NOP', 'pyth'])
    expect(await walk({ search }), search).toEqual(vietnamese);
  for (const search of ['ython', 'tho python']) expect(await walk({ search }), search).toEqual([]);
  // A word's start finds it; its middle does not (the index holds words, not substrings).
  expect((await listPaymentTransactions(tdb.db, { search: 'hoa', limit: 5 })).items).toHaveLength(5);
  expect(await walk({ search: 'oan tien' })).toEqual([]);
});

test('the content words reach both readers as words only, never as an operator', () => {
  const query = (text: string) => {
    const words = contentWords(text);
    return words && fulltextQuery(words);
  };
  expect(query('hoc phi khoa')).toBe('+hoc* +phi* +khoa*');
  expect(query('Học phí "x" -y +z @3 (ab)')).toBe('+Học* +phí*');
  expect(query('nguyen_van*')).toBe('+nguyen_van*');
  expect(query('a b %')).toBeNull();
  expect(fulltextQuery(orderCodeWords('dh1234'))).toBe('+(DH1234* 1234*)');
  expect(fulltextQuery(orderCodeWords('12'))).toBe('+DH12*');
  expect(wordPatterns(orderCodeWords('1234'))).toEqual(['(^|[^\\p{L}\\p{N}_])(dh1234|1234)']);
  expect(wordPatterns({ required: [['Học']] })).toEqual(['(^|[^\\p{L}\\p{N}_])(h[oòóỏõọôồốổỗộơờớởỡợ]c)']);
});
