import { and, desc, eq, gte, lt, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';
import { orders, paymentTransactions as pt } from '../schema.ts';
import { planOrderSearch, prefixPattern } from './order-search.ts';

// The payments inbox's search (decision 064): one search box for what an operator has in hand,
// each read through an index of its own, so that finding one transfer among hundreds of
// thousands reads a handful of index entries instead of every transfer's content.

/**
 * Above this many reference codes starting with the text, picking the page among them costs more
 * than walking the inbox newest first and filtering (the matches are then dense in it).
 */
export const NARROW_REFERENCE_LIMIT = 4000;
/** Words shorter than this are not in the FULLTEXT index (innodb_ft_min_token_size). */
export const MIN_WORD_LENGTH = 3;

/** "500000", "500.000", "500,000 đ", "500 000 VND" as an amount; null for anything else. */
export function parseAmountSearch(text: string): number | null {
  const bare = text.replace(/\s*(?:₫|đ|vnd)$/i, '').trim();
  if (!/^\d{1,15}$/.test(bare) && !/^\d{1,3}(?:[.,\s]\d{3}){1,4}$/.test(bare)) return null;
  const value = Number(bare.replace(/[.,\s]/g, ''));
  return Number.isSafeInteger(value) ? value : null;
}

/** "DH123", "dh123" and "123" as the start of an order code; null for anything else. */
export function isOrderCodeSearch(text: string): boolean {
  return /^(?:dh)?\d{1,12}$/i.test(text);
}

/**
 * How many of the newest transfers (under the filters) the content's words are looked for in,
 * row by row, before the FULLTEXT index is asked about the older ones. A word in most transfers
 * fills the page from the first window, where the index would return every transfer holding it;
 * a word absent from the first window is rare, and the index returns its few transfers at once;
 * a word in between gets the second window. Past it, fewer than one transfer in ~350 holds it.
 */
export const CONTENT_WALK_WINDOWS = [1000, 8000] as const;

/**
 * What the content must hold: each entry a set of alternatives, one of which must start a word
 * of the content. Both readers agree on it: the FULLTEXT query (boolean mode) and the REGEXP
 * checked row by row. Only letters, digits and '_' reach either, so an operator's text holds
 * no operator of its own.
 */
export interface ContentWords {
  required: string[][];
}

/** Every word of MIN_WORD_LENGTH or more letters ("hoc phi" finds "hoc phi khoa Python"). */
export function contentWords(text: string): ContentWords | null {
  const words = text.split(/[^\p{L}\p{N}_]+/u).filter((word) => [...word].length >= MIN_WORD_LENGTH);
  return words.length > 0 ? { required: words.map((word) => [word]) } : null;
}

/**
 * An order code's start as content words: written with or without its DH (either one), as
 * customers write the code in a transfer they could not match.
 */
export function orderCodeWords(text: string): ContentWords {
  const digits = text.replace(/^dh/i, '');
  return { required: [digits.length >= MIN_WORD_LENGTH ? [`DH${digits}`, digits] : [`DH${digits}`]] };
}

/** The boolean-mode FULLTEXT query: "+hoc* +phi*", "+(DH123* 123*)". */
export function fulltextQuery(words: ContentWords): string {
  return words.required
    .map((alternatives) =>
      alternatives.length === 1 ? `+${alternatives[0]}*` : `+(${alternatives.map((w) => `${w}*`).join(' ')})`,
    )
    .join(' ');
}

/**
 * The column's collation (utf8mb4_unicode_ci) compares Vietnamese letters without their marks,
 * and so does the FULLTEXT index; REGEXP only folds case. Each such letter becomes the class of
 * the letters the collation holds equal to it, so that both readers find the same rows.
 */
const SAME_LETTER: Record<string, string> = {
  a: 'aàáảãạăằắẳẵặâầấẩẫậ',
  e: 'eèéẻẽẹêềếểễệ',
  i: 'iìíỉĩị',
  o: 'oòóỏõọôồốổỗộơờớởỡợ',
  u: 'uùúủũụưừứửữự',
  y: 'yỳýỷỹỵ',
};

function collatedPattern(word: string): string {
  const bare = word.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
  return [...bare].map((letter) => (SAME_LETTER[letter] ? `[${SAME_LETTER[letter]}]` : letter)).join('');
}

/** The same as REGEXPs, one per required word: it starts the content or follows a non-word. */
export function wordPatterns(words: ContentWords): string[] {
  return words.required.map(
    (alternatives) => `(^|[^\\p{L}\\p{N}_])(${alternatives.map(collatedPattern).join('|')})`,
  );
}

interface Hit {
  id: number;
  received_at: Date;
}

/** Newest first, as the inbox orders its rows. */
function newestFirst(a: Hit, b: Hit): number {
  return b.received_at.getTime() - a.received_at.getTime() || b.id - a.id;
}

/** The inbox's newest-first index for these filters (with an outcome, its status's). */
function walkIndex(filtered: boolean): string {
  return filtered ? 'idx_payment_status_received' : 'idx_payment_received';
}

async function referenceHits(db: DbOrTx, text: string, where: SQL[], take: number, byOutcome: boolean) {
  const condition = sql`${pt.reference_code} LIKE ${prefixPattern(text)} ESCAPE '!'`;
  const matches = db
    .select({ one: sql`1` })
    .from(pt, { forceIndex: 'idx_payment_reference' })
    .where(condition)
    .limit(NARROW_REFERENCE_LIMIT + 1)
    .as('matches');
  const [counted] = await db.select({ count: sql<number>`COUNT(*)` }).from(matches);
  const narrow = Number(counted?.count ?? 0) <= NARROW_REFERENCE_LIMIT;
  return db
    .select({ id: pt.id, received_at: pt.received_at })
    .from(pt, { forceIndex: narrow ? 'idx_payment_reference' : walkIndex(byOutcome) })
    .where(and(condition, ...where))
    .orderBy(desc(pt.received_at), desc(pt.id))
    .limit(take);
}

/** Transfers matched to an order whose code starts with the text (few orders: from the orders). */
async function orderCodeHits(db: DbOrTx, text: string, where: SQL[], take: number, byOutcome: boolean) {
  const plan = await planOrderSearch(db, text);
  const query = plan.narrow
    ? db
        .select({ id: pt.id, received_at: pt.received_at })
        .from(orders, { forceIndex: plan.index })
        .innerJoin(pt, eq(pt.order_id, orders.id), { forceIndex: 'idx_payment_order' })
    : db
        .select({ id: pt.id, received_at: pt.received_at })
        .from(pt, { forceIndex: walkIndex(byOutcome) })
        .innerJoin(orders, eq(orders.id, pt.order_id));
  return query
    .where(and(plan.condition, ...where))
    .orderBy(desc(pt.received_at), desc(pt.id))
    .limit(take);
}

function amountHits(db: DbOrTx, amount: number, where: SQL[], take: number) {
  return db
    .select({ id: pt.id, received_at: pt.received_at })
    .from(pt, { forceIndex: 'idx_payment_amount' })
    .where(and(eq(pt.amount, amount), ...where))
    .orderBy(desc(pt.received_at), desc(pt.id))
    .limit(take);
}

/** The received_at of the `offset`-th transfer older than `before` (null: there are fewer). */
async function windowEnd(db: DbOrTx, index: string, where: SQL[], before: Date | null, offset: number) {
  const [row] = await db
    .select({ received_at: pt.received_at })
    .from(pt, { forceIndex: index })
    .where(and(...where, ...(before ? [lt(pt.received_at, before)] : [])))
    .orderBy(desc(pt.received_at), desc(pt.id))
    .limit(1)
    .offset(offset - 1);
  return row?.received_at ?? null;
}

/**
 * Content words: looked for row by row in the newest windows of transfers (CONTENT_WALK_WINDOWS),
 * then, if the page is still not full, through the FULLTEXT index in the older ones. received_at
 * splits the ranges, so each transfer is in exactly one.
 */
async function contentHits(db: DbOrTx, words: ContentWords, where: SQL[], take: number, byOutcome: boolean) {
  const index = walkIndex(byOutcome);
  const patterns = wordPatterns(words).map((pattern) => sql`${pt.content} REGEXP ${pattern}`);
  const hits: Hit[] = [];
  let before: Date | null = null;
  for (const rows of CONTENT_WALK_WINDOWS) {
    const end = await windowEnd(db, index, where, before, rows);
    const range = [
      ...(before ? [lt(pt.received_at, before)] : []),
      ...(end ? [gte(pt.received_at, end)] : []),
    ];
    hits.push(
      ...(await db
        .select({ id: pt.id, received_at: pt.received_at })
        .from(pt, { forceIndex: index })
        .where(and(...patterns, ...where, ...range))
        .orderBy(desc(pt.received_at), desc(pt.id))
        .limit(take - hits.length)),
    );
    if (end === null || hits.length >= take) return hits;
    before = end;
    // Not once in the first window: rare enough for the index.
    if (hits.length === 0) break;
  }
  const older = await db
    .select({ id: pt.id, received_at: pt.received_at })
    .from(pt)
    .where(
      and(
        sql`MATCH (${pt.content}) AGAINST (${fulltextQuery(words)} IN BOOLEAN MODE)`,
        lt(pt.received_at, before!),
        ...where,
      ),
    )
    .orderBy(desc(pt.received_at), desc(pt.id))
    .limit(take - hits.length);
  return [...hits, ...older];
}

/**
 * The ids of the first `take` transfers, newest first, that the search finds among those `where`
 * keeps: a reference code starting with the text, a matched order's code starting with it (or
 * one written in the content), the amount it writes, or content holding words that start with
 * each of its words. Each of these is read newest first through its own index and stops after
 * `take` rows; the first `take` of their union are the page's (the cursor is in `where`, so
 * every page is exact).
 * `byOutcome` says that `where` filters by status, whose index then serves the walks.
 */
export async function searchPaymentIds(
  db: DbOrTx,
  search: string,
  where: SQL[],
  take: number,
  byOutcome: boolean,
): Promise<number[]> {
  const text = search.trim();
  const arms: Array<Promise<Hit[]>> = [referenceHits(db, text, where, take, byOutcome)];
  const code = isOrderCodeSearch(text);
  if (code) arms.push(orderCodeHits(db, text, where, take, byOutcome));
  const amount = parseAmountSearch(text);
  if (amount !== null) arms.push(amountHits(db, amount, where, take));
  const words = code ? orderCodeWords(text) : contentWords(text);
  if (words !== null) arms.push(contentHits(db, words, where, take, byOutcome));
  const unique = new Map<number, Hit>();
  for (const hits of await Promise.all(arms)) for (const hit of hits) unique.set(hit.id, hit);
  return [...unique.values()]
    .sort(newestFirst)
    .slice(0, take)
    .map((hit) => hit.id);
}
