import { and, type Column, eq, lt, or, type SQL } from 'drizzle-orm';
import { decodeTimeIdCursor, encodeTimeIdCursor } from './cursor.ts';

// Newest-first keyset pages over (time DESC, id DESC): the condition after a cursor, and the
// page with its next cursor. A query reads `limit + 1` rows; the extra one says there is more.

/** Rows after the cursor's position. Throws InvalidCursorError for a malformed cursor. */
export function afterTimeId(time: Column, id: Column, cursor: string): SQL {
  const after = decodeTimeIdCursor(cursor);
  return or(lt(time, after.createdAt), and(eq(time, after.createdAt), lt(id, after.id))) as SQL;
}

/** The page of `limit` rows out of `limit + 1` read, and the cursor of the next page (null: last). */
export function timeIdPage<R extends { id: number }>(
  rows: R[],
  limit: number,
  timeOf: (row: R) => Date,
): { page: R[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    page,
    nextCursor:
      rows.length > limit && last ? encodeTimeIdCursor({ createdAt: timeOf(last), id: last.id }) : null,
  };
}
