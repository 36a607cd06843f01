import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { paymentTransactions } from '../schema.ts';
import { createTestDatabase, insertTestOrder, type TestDatabase } from '../testing.ts';
import { insertSettledPaymentTransaction, recordPaymentTransaction } from './payments.ts';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase('payments');
});
afterAll(async () => {
  await tdb?.[Symbol.asyncDispose]();
});

const delivery = (id: string) => ({
  provider: 'sepay',
  providerTransactionId: id,
  amount: 120_000.5,
  transferType: 'in',
  gateway: 'Vietcombank',
  referenceCode: 'FT1',
  content: 'Thanh toan',
  rawPayload: { id },
});

test('a settled transaction is stored in one INSERT, and the row returned is the row stored', async () => {
  const orderId = await insertTestOrder(tdb.db, { order_code: 'DH200001' });
  const { inserted, row } = await tdb.db.transaction((tx) =>
    insertSettledPaymentTransaction(tx, { ...delivery('t-1'), status: 'applied', orderId }),
  );
  expect(inserted).toBe(true);
  const [stored] = await tdb.db.select().from(paymentTransactions).where(eq(paymentTransactions.id, row.id));
  const { received_at: _returned, processed_at: processed, ...rest } = row;
  const { received_at: _stored, processed_at: storedProcessed, ...storedRest } = stored!;
  expect(rest).toEqual(storedRest);
  expect(storedProcessed?.getTime()).toBe(processed?.getTime());
  expect(stored).toMatchObject({ status: 'applied', order_id: orderId, amount: 120_000.5 });
});

test('a transaction stored already is not written again: its row comes back as it is', async () => {
  const first = await recordPaymentTransaction(tdb.db, delivery('t-2'));
  const again = await tdb.db.transaction((tx) =>
    insertSettledPaymentTransaction(tx, { ...delivery('t-2'), amount: 1, status: 'ignored', reason: 'x' }),
  );
  expect(again.inserted).toBe(false);
  expect(again.row).toMatchObject({ id: first.id, status: 'received', amount: 120_000.5 });
  const rows = await tdb.db
    .select()
    .from(paymentTransactions)
    .where(eq(paymentTransactions.provider_transaction_id, 't-2'));
  expect(rows).toHaveLength(1);
});
