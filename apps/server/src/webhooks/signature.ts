import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { SIGNATURE_HEADER, SIGNATURE_TOLERANCE_SECONDS } from '@paidflow/contracts';

/**
 * Paidflow's webhook signature: `Paidflow-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]`,
 * where each hex is HMAC-SHA256(secret, `${t}.${raw body bytes}`). docs/webhooks.md is the
 * sender's guide.
 */

/** The hex HMAC-SHA256 of `${t}.${rawBody}` under `secret`: what a sender puts in v1. */
export function signPayload(secret: string, rawBody: string | Buffer, t: number): string {
  return createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest('hex');
}

/** A complete header value, one v1 per secret (a sender mid-rotation may sign with both). */
export function signatureHeader(
  secrets: string | string[],
  rawBody: string | Buffer,
  t = Math.floor(Date.now() / 1000),
): string {
  const list = Array.isArray(secrets) ? secrets : [secrets];
  return [`t=${t}`, ...list.map((secret) => `v1=${signPayload(secret, rawBody, t)}`)].join(',');
}

/**
 * The fetch options of a signed webhook delivery: a POST of the raw JSON body with its signature
 * header. The demo sender and the webhook benchmark send theirs with it.
 */
export function signedWebhookRequest(
  secrets: string | string[],
  rawBody: string,
): { method: 'POST'; headers: Record<string, string>; body: string } {
  return {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [SIGNATURE_HEADER]: signatureHeader(secrets, rawBody),
    },
    body: rawBody,
  };
}

export interface ParsedSignature {
  t: number;
  v1: Buffer[];
}

const MAX_HEADER_LENGTH = 2048;
const MAX_V1 = 8;

/** Parses the header; null when it is malformed. Unknown keys (future schemes) are ignored. */
export function parseSignatureHeader(value: string): ParsedSignature | null {
  if (value.length > MAX_HEADER_LENGTH) return null;
  let t: number | null = null;
  const v1: Buffer[] = [];
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return null;
    const key = part.slice(0, eq).trim();
    const text = part.slice(eq + 1).trim();
    if (key === 't') {
      if (t !== null || !/^\d{1,12}$/.test(text)) return null;
      t = Number(text);
    } else if (key === 'v1') {
      if (!/^[0-9a-fA-F]{64}$/.test(text) || v1.length >= MAX_V1) return null;
      v1.push(Buffer.from(text, 'hex'));
    }
  }
  if (t === null || v1.length === 0) return null;
  return { t, v1 };
}

export type VerifyResult =
  | { ok: true; method: 'signature' | 'apikey' }
  | { ok: false; reason: 'missing' | 'malformed' | 'mismatch' | 'stale' };

export interface VerifyOptions {
  /** The Paidflow-Signature header, if any. */
  header: string | undefined;
  rawBody: Buffer;
  /** Every secret currently accepted (WEBHOOK_SECRETS): the new one and, during rotation, the old. */
  secrets: readonly string[];
  nowSeconds?: number;
  toleranceSeconds?: number;
}

/**
 * Checks a signature in constant time per comparison. The signature is checked before the
 * timestamp, so that only a holder of a secret learns that a timestamp was out of tolerance.
 */
export function verifySignature(options: VerifyOptions): VerifyResult {
  if (!options.header) return { ok: false, reason: 'missing' };
  const parsed = parseSignatureHeader(options.header);
  if (!parsed) return { ok: false, reason: 'malformed' };
  let matched = false;
  for (const secret of options.secrets) {
    const expected = Buffer.from(signPayload(secret, options.rawBody, parsed.t), 'hex');
    for (const candidate of parsed.v1) {
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) matched = true;
    }
  }
  if (!matched) return { ok: false, reason: 'mismatch' };
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const tolerance = options.toleranceSeconds ?? SIGNATURE_TOLERANCE_SECONDS;
  if (Math.abs(now - parsed.t) > tolerance) return { ok: false, reason: 'stale' };
  return { ok: true, method: 'signature' };
}

/**
 * SePay's own mode: `Authorization: Apikey <key>`. Both sides are hashed first so that the
 * comparison is constant-time whatever the lengths.
 */
export function verifyApiKey(header: string | undefined, apiKey: string): boolean {
  const match = header ? /^Apikey\s+(\S+)\s*$/i.exec(header) : null;
  if (!match) return false;
  const given = createHash('sha256').update(match[1]!).digest();
  const expected = createHash('sha256').update(apiKey).digest();
  return timingSafeEqual(given, expected);
}

/** Either mode authenticates a delivery; with neither, the reason of the signature check is kept. */
export function authenticateWebhook(options: {
  signatureHeader: string | undefined;
  authorizationHeader: string | undefined;
  rawBody: Buffer;
  secrets: readonly string[];
  apiKey: string | undefined;
  nowSeconds?: number;
}): VerifyResult {
  if (options.apiKey && verifyApiKey(options.authorizationHeader, options.apiKey)) {
    return { ok: true, method: 'apikey' };
  }
  return verifySignature({
    header: options.signatureHeader,
    rawBody: options.rawBody,
    secrets: options.secrets,
    nowSeconds: options.nowSeconds,
  });
}
