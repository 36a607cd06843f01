import {
  ListPaymentsInput,
  PAYMENT_ATTENTION_STATUSES,
  type PaymentAttention,
  type PaymentsPage,
  type PaymentTransactionView,
} from '@paidflow/contracts';
import { and, count, desc, eq, gte, inArray, lt, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';
import { orders, paymentTransactions as pt } from '../schema.ts';
import { afterTimeId, timeIdPage } from './keyset.ts';
import { searchPaymentIds } from './payments-search.ts';

// The payments inbox's reads (decision 045): every stored transaction, newest first.

const VIEW_COLUMNS = {
  id: pt.id,
  provider: pt.provider,
  provider_transaction_id: pt.provider_transaction_id,
  status: pt.status,
  status_reason: pt.status_reason,
  amount: pt.amount,
  transfer_type: pt.transfer_type,
  gateway: pt.gateway,
  reference_code: pt.reference_code,
  content: pt.content,
  received_at: pt.received_at,
  processed_at: pt.processed_at,
  resolved_by: pt.resolved_by,
  resolved_at: pt.resolved_at,
  note: pt.note,
  order_id: orders.id,
  order_code: orders.order_code,
  order_total: orders.total_amount,
  order_payment_status: orders.payment_status,
  order_status: orders.order_status,
};

/** The inbox's rows with their matched order (a left join: the order's columns may be null). */
function selectViews(db: DbOrTx) {
  return db.select(VIEW_COLUMNS).from(pt).leftJoin(orders, eq(orders.id, pt.order_id));
}
type ViewRow = Awaited<ReturnType<typeof selectViews>>[number];

export function toPaymentView(row: ViewRow): PaymentTransactionView {
  return {
    id: row.id,
    provider: row.provider,
    providerTransactionId: row.provider_transaction_id,
    status: row.status,
    reason: row.status_reason,
    amount: row.amount,
    transferType: row.transfer_type,
    gateway: row.gateway,
    referenceCode: row.reference_code,
    content: row.content,
    receivedAt: row.received_at,
    processedAt: row.processed_at,
    order:
      row.order_id !== null &&
      row.order_code !== null &&
      row.order_total !== null &&
      row.order_payment_status !== null &&
      row.order_status !== null
        ? {
            id: row.order_id,
            code: row.order_code,
            totalAmount: row.order_total,
            paymentStatus: row.order_payment_status,
            orderStatus: row.order_status,
          }
        : null,
    resolvedBy: row.resolved_by,
    resolvedAt: row.resolved_at,
    note: row.note,
  };
}

function outcomeCondition(outcome: NonNullable<ListPaymentsInput['outcome']>): SQL {
  return outcome === 'attention' ? inArray(pt.status, PAYMENT_ATTENTION_STATUSES) : eq(pt.status, outcome);
}

/**
 * Stored transactions, newest first (received_at DESC, id DESC), one keyset page at a time:
 * by outcome (one status, or `attention`: unmatched and underpaid), searched (see
 * searchPaymentIds), within [from, to). The order each was matched to comes along.
 * Throws InvalidCursorError for a malformed cursor.
 */
export async function listPaymentTransactions(
  db: DbOrTx,
  rawInput: ListPaymentsInput,
): Promise<PaymentsPage> {
  const input = ListPaymentsInput.parse(rawInput);
  const where: SQL[] = [];
  if (input.outcome) where.push(outcomeCondition(input.outcome));
  if (input.from) where.push(gte(pt.received_at, input.from));
  if (input.to) where.push(lt(pt.received_at, input.to));
  if (input.cursor) where.push(afterTimeId(pt.received_at, pt.id, input.cursor));
  let rows: ViewRow[];
  if (input.search) {
    // The page's ids first, each kind of match through its own index; then those rows.
    const ids = await searchPaymentIds(db, input.search, where, input.limit + 1, input.outcome !== undefined);
    rows =
      ids.length === 0
        ? []
        : await selectViews(db).where(inArray(pt.id, ids)).orderBy(desc(pt.received_at), desc(pt.id));
  } else {
    rows = await selectViews(db)
      .where(where.length > 0 ? and(...where) : undefined)
      .orderBy(desc(pt.received_at), desc(pt.id))
      .limit(input.limit + 1);
  }
  const { page, nextCursor } = timeIdPage(rows, input.limit, (row) => row.received_at);
  return { items: page.map(toPaymentView), nextCursor };
}

/** One transaction as the inbox shows it; null when there is none. */
export async function getPaymentView(db: DbOrTx, id: number): Promise<PaymentTransactionView | null> {
  const [row] = await selectViews(db).where(eq(pt.id, id));
  return row ? toPaymentView(row) : null;
}

/** How many transactions wait for an operator, by status (an index range count each). */
export async function paymentAttentionCount(db: DbOrTx): Promise<PaymentAttention> {
  const rows = await db
    .select({ status: pt.status, n: count() })
    .from(pt)
    .where(inArray(pt.status, PAYMENT_ATTENTION_STATUSES))
    .groupBy(pt.status);
  const of = (status: (typeof PAYMENT_ATTENTION_STATUSES)[number]) =>
    Number(rows.find((row) => row.status === status)?.n ?? 0);
  const unmatched = of('unmatched');
  const underpaid = of('underpaid');
  return { total: unmatched + underpaid, unmatched, underpaid };
}
