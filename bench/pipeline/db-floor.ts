import {
  appendAuditEvents,
  type Db,
  insertSettledPaymentTransaction,
  lockOrderByCode,
  queuePendingTasks,
  withTransaction,
} from '@paidflow/db';

/**
 * The database's own ceiling for the webhook's shape: the packages/db calls a paying webhook
 * makes (apps/server/src/services/payments.ts and payment-apply.ts, the happy path), in the same
 * order, with no HTTP, no HMAC, no Redis. Keep it in step with that path.
 */
async function payOne(db: Db, code: string, transactionId: number, amount: number): Promise<void> {
  const raw = { id: transactionId, code, transferAmount: amount, gateway: 'Vietcombank' };
  await withTransaction(db, async (tx) => {
    const order = await lockOrderByCode(tx, code);
    if (!order) throw new Error(`floor: no order ${code}`);
    const { inserted, row } = await insertSettledPaymentTransaction(tx, {
      provider: 'sepay',
      providerTransactionId: String(transactionId),
      amount,
      transferType: 'in',
      gateway: 'Vietcombank',
      referenceCode: `FT${transactionId}`,
      content: `Thanh toan ${code}`,
      rawPayload: raw,
      rawBody: null,
      status: 'applied',
      orderId: order.id,
    });
    if (!inserted) throw new Error(`floor: transaction ${transactionId} stored twice`);
    const { tasks } = await queuePendingTasks(tx, {
      order,
      reason: 'payment',
      orderPatch: { payment_status: 'paid', order_status: 'processing', paid_at: new Date() },
    });
    await appendAuditEvents(tx, [
      {
        order_id: order.id,
        event_type: 'payment_received',
        message: `Payment of ${amount} received via Vietcombank; ${tasks.length} tasks queued`,
        details: { transactionId, amount, paymentTransactionId: row.id },
        previous_status: order.payment_status,
        new_status: 'paid',
        source: 'webhook:sepay',
        dedupe_key: `payment_received:sepay:${transactionId}`,
      },
      ...tasks.map((task) => ({
        order_id: order.id,
        task_id: task.taskId,
        event_type: 'task_queued' as const,
        message: 'Task queued after payment',
        previous_status: 'pending',
        new_status: 'queued',
        source: 'webhook:sepay',
      })),
    ]);
  });
}

export interface FloorOptions {
  db: Db;
  codes: string[];
  amount: number;
  concurrency: number;
  seconds: number;
}

export interface FloorResult {
  paid: number;
  errors: number;
  seconds: number;
  latenciesMs: number[];
  exhausted: boolean;
}

/**
 * Pays (and takes off) `codes` with `pay`, from `concurrency` loops for `seconds`: payments per
 * second and latencies. `idBase` keeps each floor's provider transaction ids apart.
 */
export async function payInLoops(
  options: FloorOptions,
  label: string,
  idBase: number,
  pay: (code: string, transactionId: number) => Promise<void>,
): Promise<FloorResult> {
  const deadline = Date.now() + options.seconds * 1000;
  const result: FloorResult = { paid: 0, errors: 0, seconds: 0, latenciesMs: [], exhausted: false };
  let transactionId = idBase + Math.floor(Math.random() * 1e9);
  const started = Date.now();
  async function loop(): Promise<void> {
    while (Date.now() < deadline) {
      // Taken off the list: a later run pays the orders this one left.
      const code = options.codes.shift();
      if (!code) {
        result.exhausted = true;
        return;
      }
      const begin = process.hrtime.bigint();
      try {
        await pay(code, ++transactionId);
        result.latenciesMs.push(Number(process.hrtime.bigint() - begin) / 1e6);
        result.paid++;
      } catch (error) {
        if (result.errors++ === 0) process.stderr.write(`[bench pipeline] ${label}: ${String(error)}\n`);
      }
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, () => loop()));
  result.seconds = (Date.now() - started) / 1000;
  return result;
}

/** The webhook's own packages/db calls, straight on MySQL: the database's ceiling for our shape. */
export function dbFloor(options: FloorOptions): Promise<FloorResult> {
  return payInLoops(options, 'db floor', 2e9, (code, transactionId) =>
    payOne(options.db, code, transactionId, options.amount),
  );
}
