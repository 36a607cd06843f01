import { afterAll, beforeAll, expect, test } from 'vitest';
import { orderRow } from '../testing/live-fixtures.ts';
import {
  createOrder,
  postWebhook,
  sepayTransaction,
  startTestServer,
  storedPayments,
  type TestServer,
} from '../testing/pipeline-fixtures.ts';
import { bodyKey } from './body.ts';

// What the webhook stores of bodies that are no plain valid transaction (docs/webhooks.md,
// "What is stored"); the fuzz test (webhook-fuzz.int.test.ts) sends thousands more.

let t: TestServer;
let url: string;

beforeAll(async () => {
  t = await startTestServer('webhook_bodies');
  url = t.server.url;
});
afterAll(async () => {
  await t?.close();
});

function transactionsFor(providerId: number) {
  return storedPayments(t.tdb.db, providerId);
}

async function storedByKey(raw: string | Buffer) {
  const [row] = await storedPayments(t.tdb.db, bodyKey(Buffer.from(raw)));
  return row;
}

test('a signed body that is no valid transaction is stored as rejected under its hash, answered 200 once', async () => {
  const notJson = '{"id": 1,';
  const first = await postWebhook(url, notJson);
  expect(first.status).toBe(200);
  expect(first.json.success).toBe(false);
  expect(first.json.message).toMatch(/^recorded as rejected: body is not valid JSON/);
  expect(await storedByKey(notJson)).toMatchObject({
    status: 'rejected',
    amount: 0,
    order_id: null,
    raw_body: Buffer.from(notJson),
    raw_payload: { unparsed: true, bytes: notJson.length, preview: notJson },
  });
  // SePay resends only a non-2xx; a replayed delivery is a duplicate and changes nothing.
  const again = await postWebhook(url, notJson);
  expect(again).toEqual({
    status: 200,
    json: { success: false, message: 'duplicate delivery (already rejected)' },
  });

  const missing = { id: 5, gateway: 'VCB' };
  const answer = await postWebhook(url, missing);
  expect(answer.json.message).toMatch(/transferAmount/);
  expect(answer.json.message).toMatch(/transferType/);
  expect(await storedByKey(JSON.stringify(missing))).toMatchObject({
    status: 'rejected',
    raw_payload: missing,
    raw_body: null,
  });

  const { orderId, code, total } = await createOrder(t.tdb.db, { tasks: 1 });
  for (const transferAmount of [String(total), total + 0.5, -total, 1e300]) {
    const body = JSON.stringify({ ...sepayTransaction(code, total), transferAmount });
    const response = await postWebhook(url, body);
    expect(response.json.message, body).toMatch(/^recorded as rejected: invalid transaction: transferAmount/);
    expect((await storedByKey(body))?.status).toBe('rejected');
  }
  const array = await postWebhook(url, [1, 2, 3]);
  expect(array.json.message).toMatch(/rejected/);
  expect((await storedByKey('[1,2,3]'))?.raw_payload).toEqual({ notAnObject: true, value: [1, 2, 3] });
  expect((await orderRow(t.tdb.db, orderId)).payment_status).toBe('pending');
});

test("a lone surrogate in the body's strings (once a 500) pays the order; the exact bytes are kept", async () => {
  const { orderId, code, total } = await createOrder(t.tdb.db, { tasks: 1 });
  const transaction = sepayTransaction(code, total);
  const raw = JSON.stringify(transaction)
    .replace(`"code":"${code}"`, `"code":"${code}\\ud800"`)
    .replace('"description":"test transfer"', '"description":"\\udc00 \\u0000 end"');
  expect(raw).toContain('\\ud800');
  const response = await postWebhook(url, raw);
  expect(response).toEqual({ status: 200, json: { success: true } });
  expect((await orderRow(t.tdb.db, orderId)).payment_status).toBe('paid');
  const [stored] = await transactionsFor(transaction.id);
  expect(stored).toMatchObject({ status: 'applied', raw_body: Buffer.from(raw) });
  expect(stored!.raw_payload).toMatchObject({ code: `${code}\uFFFD`, description: '\uFFFD \u0000 end' });
});

test('a body that names a field of the contract twice is rejected as ambiguous and pays nothing', async () => {
  const { orderId, code, total } = await createOrder(t.tdb.db, { tasks: 1 });
  const raw = JSON.stringify(sepayTransaction(code, total)).replace('{', `{"transferAmount":1,`);
  const response = await postWebhook(url, raw);
  expect(response.json).toEqual({
    success: false,
    message: 'recorded as rejected: ambiguous transaction: transferAmount given more than once',
  });
  expect(await storedByKey(raw)).toMatchObject({ status: 'rejected', raw_body: Buffer.from(raw) });
  expect((await orderRow(t.tdb.db, orderId)).payment_status).toBe('pending');
});

test('a contract number JSON.parse would round is rejected: never applied, never taken for another id', async () => {
  const { orderId, code, total } = await createOrder(t.tdb.db, { tasks: 1 });
  // A real transaction, then a body whose id rounds to the same one.
  const first = sepayTransaction(code, Math.floor(total / 2));
  await postWebhook(url, first);
  const cases = [
    // Would be applied as `total` and pay the order.
    JSON.stringify(sepayTransaction(code, total)).replace(
      `"transferAmount":${total}`,
      `"transferAmount":${total}.0000000000000001`,
    ),
    // Would be read as transaction `first.id` and lost as its duplicate.
    JSON.stringify(sepayTransaction(code, total, { id: first.id })).replace(
      `"id":${first.id}`,
      `"id":${first.id}.0000000000000001`,
    ),
    JSON.stringify(sepayTransaction(code, total)).replace(
      '"accumulated":10000000',
      '"accumulated":12345678901234567890',
    ),
  ];
  const fields = ['transferAmount', 'id', 'accumulated'];
  for (const [index, raw] of cases.entries()) {
    expect(raw, 'the token was written').toMatch(/0000000000000001|12345678901234567890/);
    const response = await postWebhook(url, raw);
    expect(response.json).toEqual({
      success: false,
      message: `recorded as rejected: imprecise transaction: ${fields[index]} not exactly representable as a number`,
    });
    expect(await storedByKey(raw)).toMatchObject({
      status: 'rejected',
      // The row never shows a rounded amount as if it had been sent.
      amount: fields[index] === 'transferAmount' ? 0 : total,
      raw_body: Buffer.from(raw),
    });
  }
  expect(await transactionsFor(first.id)).toHaveLength(1);
  expect((await orderRow(t.tdb.db, orderId)).payment_status).toBe('underpaid');
  // Outside the contract such a number is only kept as bytes: the transfer is applied.
  const extra = JSON.stringify(sepayTransaction(code, total)).replace('{', '{"note":1e400,');
  expect((await postWebhook(url, extra)).json.success).toBe(true);
  expect((await orderRow(t.tdb.db, orderId)).payment_status).toBe('paid');
});
