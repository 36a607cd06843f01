import { type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';
import { orders } from '../schema.ts';

/**
 * Above this many prefix matches, picking the page among the matches costs more than walking
 * the newest-first list and filtering. For emails both read index entries only (decision 063),
 * so at 1M orders the two meet near sqrt(21 * 1M) ~ 4,600 entries.
 */
export const NARROW_SEARCH_LIMIT = 4000;
/**
 * The same for order codes, lower: the code's unique index cannot carry payment_status and
 * created_at, so each match costs a row read (~7 us warm against ~0.55 us per list entry
 * walked); at 1M orders the two meet near 1,300 matches (~9 ms either way).
 */
export const NARROW_CODE_SEARCH_LIMIT = 1200;

export interface OrderSearch {
  column: 'order_code' | 'user_email';
  prefix: string;
}

/** "DH123", "dh123" and "123" search order codes; anything else searches customer emails. */
export function parseOrderSearch(search: string): OrderSearch {
  const text = search.trim();
  const code = /^(?:dh)?(\d*)$/i.exec(text);
  if (code) return { column: 'order_code', prefix: `DH${code[1]}` };
  return { column: 'user_email', prefix: text };
}

/** LIKE pattern for a prefix; '!' escapes the wildcards (emails often hold '_'). */
export function prefixPattern(prefix: string): string {
  return `${prefix.replace(/[!%_]/g, '!$&')}%`;
}

/** The WHERE condition for a search: a prefix match on the order code or the customer email. */
export function orderSearchCondition(search: string): SQL {
  const { column, prefix } = parseOrderSearch(search);
  const target = column === 'order_code' ? orders.order_code : orders.user_email;
  return sql`${target} LIKE ${prefixPattern(prefix)} ESCAPE '!'`;
}

export interface OrderSearchPlan {
  condition: SQL;
  /** True when few orders match: read them through the search column's index and sort them. */
  narrow: boolean;
  index: string;
}

/**
 * Chooses how to run a search. An email with its '@' reads the email index directly. Otherwise
 * it first counts the prefix's matches on the column's index,
 * stopping at the column's limit + 1 (an index-only range read), so a customer's email or a
 * long code prefix sorts a handful of rows, and a broad prefix ("DH", "nguyen") walks the list
 * index newest first, stopping after one page.
 */
export async function planOrderSearch(db: DbOrTx, search: string): Promise<OrderSearchPlan> {
  const { column, prefix } = parseOrderSearch(search);
  const index = column === 'order_code' ? 'uq_orders_order_code' : 'idx_orders_email_created';
  const condition = orderSearchCondition(search);
  // With the '@' typed, the local part pins the search to a customer or two: skip the count.
  if (column === 'user_email' && prefix.includes('@')) return { condition, narrow: true, index };
  const limit = column === 'order_code' ? NARROW_CODE_SEARCH_LIMIT : NARROW_SEARCH_LIMIT;
  const matches = db
    .select({ one: sql`1` })
    .from(orders, { forceIndex: index })
    .where(condition)
    .limit(limit + 1)
    .as('matches');
  const [counted] = await db.select({ count: sql<number>`COUNT(*)` }).from(matches);
  return { condition, narrow: Number(counted?.count ?? 0) <= limit, index };
}
