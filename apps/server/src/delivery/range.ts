/** One satisfiable byte range of a file, inclusive at both ends. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * A `Range` header against a file of `size` bytes (RFC 9110 §14.1.2), one range only:
 * - null: no header, another unit, several ranges or bad syntax: the whole file is sent (200);
 * - 'unsatisfiable': the range starts past the end (416);
 * - a range, its end clamped to the file's last byte (206).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return null;
  if (first === '') {
    // A suffix: the last N bytes.
    const length = Number(last);
    if (length === 0) return 'unsatisfiable';
    if (size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  const lastByte = last === '' ? null : Number(last);
  if (
    !Number.isSafeInteger(start) ||
    (lastByte !== null && (!Number.isSafeInteger(lastByte) || lastByte < start))
  ) {
    return null;
  }
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(lastByte ?? size - 1, size - 1) };
}
