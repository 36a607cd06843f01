import { createHash } from 'node:crypto';
import { inspectJsonText } from './json-text.ts';

/**
 * How a signed webhook body is stored (docs/webhooks.md, "What is stored"). `raw_payload` is a
 * JSON column, which MySQL checks: it refuses escaped lone UTF-16 surrogates, and MariaDB any
 * document nested 32 levels deep. So the column gets the parsed body when MySQL takes it as it
 * is, or else a stand-in MySQL always takes; whenever the stand-in is not the body's own value,
 * `raw_body` keeps the exact signed bytes.
 */

/** Containers deeper than this are replaced in the stand-in (MariaDB's limit is 31, MySQL's 100). */
export const MAX_STORED_DEPTH = 30;
/** What a body not parsed as JSON shows of itself in raw_payload (raw_body has all of it). */
const PREVIEW_CHARS = 2000;
const TOO_DEEP = `(nested deeper than ${MAX_STORED_DEPTH} levels: see raw_body)`;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export type WebhookBody =
  | {
      kind: 'json';
      /** The parsed body, lone surrogates replaced by U+FFFD: what validation reads. */
      value: unknown;
      /** What raw_payload stores (always a JSON object). */
      payload: Record<string, unknown>;
      /** The exact bytes, when payload is not the body's own value; else null. */
      rawBody: Buffer | null;
      /** Why the bytes were kept, in words ("lone UTF-16 surrogates", ...). */
      issues: string[];
      /** Keys that appear twice at the top level: a body that says two things at once. */
      repeatedTopLevelKeys: string[];
      /** Top-level keys whose number JSON.parse rounded: `value` does not say what the bytes say. */
      lossyTopLevelKeys: string[];
    }
  | { kind: 'unparsed'; reason: string; payload: Record<string, unknown>; rawBody: Buffer; issues: string[] };

/** Reads a signed body; never throws, whatever the bytes. */
export function readWebhookBody(raw: Buffer): WebhookBody {
  const issues: string[] = [];
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    issues.push('invalid UTF-8');
    text = raw.toString('utf8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const reason = `body is not valid JSON: ${(error as Error).message}`;
    const payload = {
      unparsed: true,
      reason,
      bytes: raw.length,
      preview: wellFormed(text.slice(0, PREVIEW_CHARS)),
    };
    return { kind: 'unparsed', reason, payload, rawBody: raw, issues: [...issues, 'not JSON'] };
  }
  const shape = inspectJsonText(text);
  if (shape.duplicateKeys.length > 0) issues.push('repeated keys');
  if (shape.lossyNumbers.length > 0) issues.push('numbers a double cannot hold');
  if (shape.depth > MAX_STORED_DEPTH) issues.push(`nested deeper than ${MAX_STORED_DEPTH} levels`);
  const cleaned = { surrogates: false };
  const value = sanitize(parsed, 1, cleaned);
  if (cleaned.surrogates) issues.push('lone UTF-16 surrogates');
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isObject) issues.push('not a JSON object');
  return {
    kind: 'json',
    value,
    payload: isObject ? (value as Record<string, unknown>) : { notAnObject: true, value },
    rawBody: issues.length > 0 ? raw : null,
    issues,
    repeatedTopLevelKeys: shape.duplicateKeys.filter((entry) => entry.depth === 1).map((entry) => entry.key),
    lossyTopLevelKeys: shape.lossyTopLevelKeys,
  };
}

/** The key a body without a usable transaction id is stored under: its SHA-256 (base64url). */
export function bodyKey(raw: Buffer): string {
  return `body:${createHash('sha256').update(raw).digest('base64url')}`;
}

function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD');
}

/**
 * A copy MySQL's JSON type takes: strings and keys with lone surrogates replaced by U+FFFD,
 * containers past MAX_STORED_DEPTH replaced by a note. Recursion stops at that depth.
 */
function sanitize(value: unknown, depth: number, found: { surrogates: boolean }): unknown {
  if (typeof value === 'string') {
    const clean = wellFormed(value);
    if (clean !== value) found.surrogates = true;
    return clean;
  }
  if (typeof value !== 'object' || value === null) return value;
  if (depth > MAX_STORED_DEPTH) return TOO_DEEP;
  if (Array.isArray(value)) return value.map((item) => sanitize(item, depth + 1, found));
  // fromEntries defines own properties: a "__proto__" key stays a key.
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      sanitize(key, depth, found) as string,
      sanitize(item, depth + 1, found),
    ]),
  );
}
