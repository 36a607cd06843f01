import { expect, test } from 'vitest';
import {
  MAX_TRANSFER_AMOUNT,
  SepayTransaction,
  SIGNATURE_HEADER,
  SIGNATURE_TOLERANCE_SECONDS,
  WebhookResponse,
} from './webhooks.ts';

/** The sample body from SePay's webhook documentation, verbatim. */
const SEPAY_SAMPLE = `{"id":92704,"gateway":"Vietcombank","transactionDate":"2023-03-25 14:02:37","accountNumber":"0123499999","code":null,"content":"chuyen tien mua iphone","transferType":"in","transferAmount":2277000,"accumulated":19077000,"subAccount":null,"referenceCode":"MBVCB.3278907687","description":""}`;

function sample(): Record<string, unknown> {
  return JSON.parse(SEPAY_SAMPLE) as Record<string, unknown>;
}

test("SepayTransaction accepts SePay's documented sample body", () => {
  const parsed = SepayTransaction.parse(sample());
  expect(parsed).toEqual(sample());
  expect(parsed.transferAmount).toBe(2_277_000);
  expect(parsed.code).toBeNull();
});

test('SepayTransaction accepts an outgoing transfer with a payment code and sub-account', () => {
  const body = { ...sample(), transferType: 'out', code: 'DH123456', subAccount: 'VA001' };
  expect(SepayTransaction.safeParse(body).success).toBe(true);
});

test('SepayTransaction rejects a transfer type other than in or out', () => {
  for (const transferType of ['IN', 'credit', '', null]) {
    expect(SepayTransaction.safeParse({ ...sample(), transferType }).success, String(transferType)).toBe(
      false,
    );
  }
});

test('SepayTransaction rejects amounts sent as strings or below zero', () => {
  expect(SepayTransaction.safeParse({ ...sample(), transferAmount: '2277000' }).success).toBe(false);
  expect(SepayTransaction.safeParse({ ...sample(), accumulated: '19077000' }).success).toBe(false);
  expect(SepayTransaction.safeParse({ ...sample(), transferAmount: -1 }).success).toBe(false);
  expect(SepayTransaction.safeParse({ ...sample(), id: '92704' }).success).toBe(false);
});

test('SepayTransaction rejects amounts a payment row cannot hold: fractions, too large, not finite', () => {
  for (const transferAmount of [
    100.5,
    0.01,
    MAX_TRANSFER_AMOUNT + 1,
    1e300,
    Number.POSITIVE_INFINITY,
    Number.NaN,
  ]) {
    expect(SepayTransaction.safeParse({ ...sample(), transferAmount }).success, String(transferAmount)).toBe(
      false,
    );
  }
  expect(SepayTransaction.safeParse({ ...sample(), transferAmount: MAX_TRANSFER_AMOUNT }).success).toBe(true);
  expect(SepayTransaction.safeParse({ ...sample(), transferAmount: 0 }).success).toBe(true);
});

test('SepayTransaction rejects dates that are not YYYY-MM-DD HH:mm:ss', () => {
  for (const date of ['2023-03-25T14:02:37Z', '25/03/2023 14:02:37', '2023-03-25', '2023-03-25 14:02', '']) {
    expect(SepayTransaction.safeParse({ ...sample(), transactionDate: date }).success, date).toBe(false);
  }
});

test('SepayTransaction rejects dates and times that do not exist', () => {
  for (const date of [
    '2023-13-25 14:02:37',
    '2023-02-30 14:02:37',
    '2023-03-25 24:00:00',
    '2023-03-25 14:60:00',
  ]) {
    expect(SepayTransaction.safeParse({ ...sample(), transactionDate: date }).success, date).toBe(false);
  }
  expect(SepayTransaction.safeParse({ ...sample(), transactionDate: '2024-02-29 23:59:59' }).success).toBe(
    true,
  );
});

test('SepayTransaction rejects a body with a missing id or field', () => {
  for (const key of ['id', 'gateway', 'transactionDate', 'content', 'transferType', 'transferAmount']) {
    const body = sample();
    delete body[key];
    expect(SepayTransaction.safeParse(body).success, key).toBe(false);
  }
  expect(SepayTransaction.safeParse({ ...sample(), id: 0 }).success).toBe(false);
  expect(SepayTransaction.safeParse({ ...sample(), id: 1.5 }).success).toBe(false);
  expect(SepayTransaction.safeParse(null).success).toBe(false);
  expect(SepayTransaction.safeParse([]).success).toBe(false);
});

test('the signature header name is lower-case, as Node reports incoming headers', () => {
  expect(SIGNATURE_HEADER).toBe(SIGNATURE_HEADER.toLowerCase());
  expect(SIGNATURE_TOLERANCE_SECONDS).toBeGreaterThan(0);
});

test("WebhookResponse is SePay's success flag with an optional message", () => {
  expect(WebhookResponse.safeParse({ success: true }).success).toBe(true);
  expect(WebhookResponse.safeParse({ success: false, message: 'unknown order' }).success).toBe(true);
  expect(WebhookResponse.safeParse({ success: 'true' }).success).toBe(false);
});
