import { createHmac } from 'node:crypto';
import { expect, test } from 'vitest';
import {
  authenticateWebhook,
  parseSignatureHeader,
  signatureHeader,
  signPayload,
  verifyApiKey,
  verifySignature,
} from './signature.ts';

const body = Buffer.from('{"id":1,"transferAmount":100000}');
const now = 1_750_000_000;

test('the signature is the HMAC-SHA256 of "t.body" in hex', () => {
  const expected = createHmac('sha256', 'secret-one').update(`${now}.${body.toString()}`).digest('hex');
  expect(signPayload('secret-one', body, now)).toBe(expected);
  expect(signatureHeader('secret-one', body, now)).toBe(`t=${now},v1=${expected}`);
});

test('a correctly signed body is accepted', () => {
  const header = signatureHeader('secret-one', body, now);
  expect(verifySignature({ header, rawBody: body, secrets: ['secret-one'], nowSeconds: now })).toEqual({
    ok: true,
    method: 'signature',
  });
});

test('a wrong secret, a tampered body or a missing header is rejected', () => {
  const header = signatureHeader('wrong-secret', body, now);
  expect(verifySignature({ header, rawBody: body, secrets: ['secret-one'], nowSeconds: now })).toEqual({
    ok: false,
    reason: 'mismatch',
  });
  const good = signatureHeader('secret-one', body, now);
  const tampered = Buffer.from(body.toString().replace('100000', '900000'));
  expect(
    verifySignature({ header: good, rawBody: tampered, secrets: ['secret-one'], nowSeconds: now }),
  ).toEqual({
    ok: false,
    reason: 'mismatch',
  });
  expect(
    verifySignature({ header: undefined, rawBody: body, secrets: ['secret-one'], nowSeconds: now }),
  ).toEqual({
    ok: false,
    reason: 'missing',
  });
});

test('a timestamp more than five minutes away from now is rejected, either way', () => {
  const stale = signatureHeader('secret-one', body, now - 301);
  const future = signatureHeader('secret-one', body, now + 301);
  const edge = signatureHeader('secret-one', body, now - 300);
  const verify = (header: string) =>
    verifySignature({ header, rawBody: body, secrets: ['secret-one'], nowSeconds: now });
  expect(verify(stale)).toEqual({ ok: false, reason: 'stale' });
  expect(verify(future)).toEqual({ ok: false, reason: 'stale' });
  expect(verify(edge).ok).toBe(true);
});

test('during rotation any configured secret verifies, and any of several v1 values may match', () => {
  const secrets = ['new-secret', 'old-secret'];
  const byOld = signatureHeader('old-secret', body, now);
  expect(verifySignature({ header: byOld, rawBody: body, secrets, nowSeconds: now }).ok).toBe(true);
  const both = signatureHeader(['unknown-secret', 'new-secret'], body, now);
  expect(both.split(',v1=')).toHaveLength(3);
  expect(verifySignature({ header: both, rawBody: body, secrets, nowSeconds: now }).ok).toBe(true);
  // Once the old secret is removed, what it signed is refused.
  expect(verifySignature({ header: byOld, rawBody: body, secrets: ['new-secret'], nowSeconds: now })).toEqual(
    {
      ok: false,
      reason: 'mismatch',
    },
  );
});

test('malformed headers are rejected as malformed', () => {
  const hex = signPayload('secret-one', body, now);
  for (const header of [
    'garbage',
    `v1=${hex}`,
    `t=${now}`,
    `t=abc,v1=${hex}`,
    `t=${now},v1=nothex`,
    `t=${now},t=${now},v1=${hex}`,
    `t=${now},v1=${hex.slice(0, 10)}`,
    `t=${now},v1=${'a'.repeat(3000)}`,
  ]) {
    expect(parseSignatureHeader(header), header).toBeNull();
    expect(verifySignature({ header, rawBody: body, secrets: ['secret-one'], nowSeconds: now })).toEqual({
      ok: false,
      reason: 'malformed',
    });
  }
});

test('unknown schemes in the header are ignored and spaces are tolerated', () => {
  const hex = signPayload('secret-one', body, now);
  const header = `t=${now}, v0=abc, v1=${hex}`;
  expect(verifySignature({ header, rawBody: body, secrets: ['secret-one'], nowSeconds: now }).ok).toBe(true);
});

test("SePay's Apikey header is accepted only with the configured key", () => {
  const key = 'sepay-api-key-0123456789';
  expect(verifyApiKey(`Apikey ${key}`, key)).toBe(true);
  expect(verifyApiKey(`apikey ${key}`, key)).toBe(true);
  expect(verifyApiKey(`Apikey ${key}x`, key)).toBe(false);
  expect(verifyApiKey(`Bearer ${key}`, key)).toBe(false);
  expect(verifyApiKey(undefined, key)).toBe(false);
  const options = { signatureHeader: undefined, rawBody: body, secrets: ['secret-one'], nowSeconds: now };
  expect(authenticateWebhook({ ...options, authorizationHeader: `Apikey ${key}`, apiKey: key })).toEqual({
    ok: true,
    method: 'apikey',
  });
  // Without SEPAY_API_KEY configured the Apikey mode is off.
  expect(
    authenticateWebhook({ ...options, authorizationHeader: `Apikey ${key}`, apiKey: undefined }),
  ).toEqual({
    ok: false,
    reason: 'missing',
  });
});
