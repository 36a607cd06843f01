import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The customer's delivery token (decision 044): `<link id>.<nonce>.<mac>`, where the nonce is the
 * link row's 128 random bits (base64url, 22 characters) and the mac is the base64url
 * HMAC-SHA256, under the first of DELIVERY_SECRETS, of `paidflow-delivery-v1.<link id>.<nonce>`.
 * The row holds the order, the expiry and the revocation: the token only names it, unforgeably.
 */

export interface DeliveryClaims {
  linkId: number;
  nonce: string;
}

const DOMAIN = 'paidflow-delivery-v1';
const TOKEN = /^([1-9][0-9]{0,9})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/** A link's nonce: 16 random bytes, base64url (the 22 characters of delivery_links.nonce). */
export function newDeliveryNonce(): string {
  return randomBytes(16).toString('base64url');
}

function mac(secret: string, claims: DeliveryClaims): Buffer {
  return createHmac('sha256', secret).update(`${DOMAIN}.${claims.linkId}.${claims.nonce}`).digest();
}

/** The token of a link, signed with `secret` (the first of DELIVERY_SECRETS). */
export function signDeliveryToken(secret: string, claims: DeliveryClaims): string {
  return `${claims.linkId}.${claims.nonce}.${mac(secret, claims).toString('base64url')}`;
}

/**
 * The claims of a token signed with any of `secrets` (the new one and, during a rotation, the
 * old), or null: malformed and forged tokens alike. Each comparison is constant-time, and every
 * secret is tried, so the time taken does not say which one matched.
 */
export function verifyDeliveryToken(token: string, secrets: readonly string[]): DeliveryClaims | null {
  const match = TOKEN.exec(token);
  if (!match) return null;
  const given = Buffer.from(match[3]!, 'base64url');
  // base64url decoding ignores stray low bits: only the canonical spelling of a mac is accepted.
  if (given.length !== 32 || given.toString('base64url') !== match[3]) return null;
  const claims = { linkId: Number(match[1]), nonce: match[2]! };
  let matched = false;
  for (const secret of secrets) {
    if (timingSafeEqual(given, mac(secret, claims))) matched = true;
  }
  return matched ? claims : null;
}

/** Compares a token's nonce with the row's in constant time. */
export function sameNonce(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
