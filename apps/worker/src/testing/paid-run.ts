// A test helper (not a shipped code path): one payment run through to its order's end by a worker
// process, which is then stopped the way an operator stops it.
import { orderAuditLogs } from '@paidflow/db';
import { createPaidOrder, type Pipeline, type WorkerProcess, waitFor } from './fixtures.ts';

/**
 * Pays an order for `courses` with a signed webhook, waits for its `order_completed` event (on a
 * timeout, the error quotes the worker's last lines), then stops the worker with SIGTERM and waits
 * for it to exit (its main.ts has flushed whatever it had to flush by then).
 */
export async function payThenStopWorker(
  p: Pipeline,
  worker: WorkerProcess,
  courses: Array<{ title: string; url: string }>,
): Promise<{ orderId: number; code: string; taskIds: number[] }> {
  const order = await createPaidOrder(p, courses);
  await waitFor(
    async () => {
      const events = (await p.t.tdb.db.select().from(orderAuditLogs)).filter(
        (e) => e.order_id === order.orderId,
      );
      return events.some((e) => e.event_type === 'order_completed');
    },
    40_000,
    'the order to complete',
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}; worker said:\n${worker.lines.slice(-15).join('\n')}`);
  });
  const exited = new Promise((resolve) => worker.child.once('exit', resolve));
  worker.child.kill('SIGTERM');
  await exited;
  return order;
}
