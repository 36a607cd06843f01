/**
 * Keyset cursors: opaque base64url strings that name the last row of a page. A cursor that does
 * not decode to a well-formed position is bad input, answered with InvalidCursorError.
 */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
  /** The AppError code the API maps it to. */
  readonly code = 'INVALID_INPUT';
  constructor(message = 'the cursor is malformed; start again from the first page') {
    super(message);
  }
}

const BASE64URL = /^[A-Za-z0-9_-]{1,200}$/;
const MAX_UNSIGNED_INT = 4_294_967_295;
/** The largest instant a JavaScript Date holds. */
const MAX_TIME_MS = 8_640_000_000_000_000;

function decode(cursor: string): string {
  if (!BASE64URL.test(cursor)) throw new InvalidCursorError();
  return Buffer.from(cursor, 'base64url').toString('utf8');
}

function encode(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

/** Position in a list ordered by (created_at DESC, id DESC). */
export interface TimeIdPosition {
  createdAt: Date;
  id: number;
}

export function encodeTimeIdCursor(position: TimeIdPosition): string {
  return encode(`t:${position.createdAt.getTime()}:${position.id}`);
}

export function decodeTimeIdCursor(cursor: string): TimeIdPosition {
  const match = /^t:(\d{1,16}):(\d{1,10})$/.exec(decode(cursor));
  const ms = Number(match?.[1]);
  const id = Number(match?.[2]);
  if (!match || ms > MAX_TIME_MS || id < 1 || id > MAX_UNSIGNED_INT) throw new InvalidCursorError();
  return { createdAt: new Date(ms), id };
}

/** Position in a list ordered by id DESC. */
export function encodeIdCursor(id: number): string {
  return encode(`i:${id}`);
}

export function decodeIdCursor(cursor: string): number {
  const match = /^i:(\d{1,16})$/.exec(decode(cursor));
  const id = Number(match?.[1]);
  if (!match || id < 1 || !Number.isSafeInteger(id)) throw new InvalidCursorError();
  return id;
}
