import { expect, test } from 'vitest';
import { newDeliveryNonce, sameNonce, signDeliveryToken, verifyDeliveryToken } from './tokens.ts';

const OLD = 'old-delivery-secret-0123456789';
const NEW = 'new-delivery-secret-0123456789';

test('a signed token verifies to its link id and nonce; its format is URL-safe and fixed', () => {
  const nonce = newDeliveryNonce();
  expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
  expect(newDeliveryNonce()).not.toBe(nonce);
  const token = signDeliveryToken(NEW, { linkId: 42, nonce });
  expect(token).toMatch(/^42\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
  expect(encodeURIComponent(token)).toBe(token);
  expect(verifyDeliveryToken(token, [NEW])).toEqual({ linkId: 42, nonce });
});

test('during a rotation every listed secret is accepted; a removed one is not', () => {
  const nonce = newDeliveryNonce();
  const signedOld = signDeliveryToken(OLD, { linkId: 7, nonce });
  const signedNew = signDeliveryToken(NEW, { linkId: 7, nonce });
  expect(verifyDeliveryToken(signedOld, [NEW, OLD])).toEqual({ linkId: 7, nonce });
  expect(verifyDeliveryToken(signedNew, [NEW, OLD])).toEqual({ linkId: 7, nonce });
  expect(verifyDeliveryToken(signedOld, [NEW])).toBeNull();
  expect(verifyDeliveryToken(signedNew, [])).toBeNull();
});

test('a tampered token is refused: another id, another nonce, another mac, or a non-canonical mac', () => {
  const nonce = newDeliveryNonce();
  const token = signDeliveryToken(NEW, { linkId: 7, nonce });
  const [id, , mac] = token.split('.') as [string, string, string];
  const flip = (text: string, at: number) =>
    text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
  expect(verifyDeliveryToken(`8.${nonce}.${mac}`, [NEW])).toBeNull();
  expect(verifyDeliveryToken(`${id}.${flip(nonce, 3)}.${mac}`, [NEW])).toBeNull();
  expect(verifyDeliveryToken(`${id}.${nonce}.${flip(mac, 10)}`, [NEW])).toBeNull();
  // The mac's last character carries 2 unused bits: a spelling that decodes the same is refused too.
  const last = mac.at(-1)!;
  const alias = 'AEIMQUYcgkosw048'.includes(last) ? String.fromCharCode(last.charCodeAt(0) + 1) : null;
  if (alias) expect(verifyDeliveryToken(`${id}.${nonce}.${mac.slice(0, -1)}${alias}`, [NEW])).toBeNull();
  for (const bad of [
    '',
    'x',
    `${token}.`,
    `0.${nonce}.${mac}`,
    `07.${nonce}.${mac}`,
    token.replace('.', '/'),
  ]) {
    expect(verifyDeliveryToken(bad, [NEW]), bad).toBeNull();
  }
});

test('nonces are compared whole', () => {
  expect(sameNonce('abc', 'abc')).toBe(true);
  expect(sameNonce('abc', 'abd')).toBe(false);
  expect(sameNonce('abc', 'abcd')).toBe(false);
});
