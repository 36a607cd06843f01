// The scale benchmark's orders: made in the database (unmeasured), paid through haproxy (measured).
import { createOrder, postWebhook, sepayTransaction } from '@paidflow/server/testing';
import type { Topology } from '../lib/topology.ts';

export interface OrderShape {
  tasksPerOrder: number;
  files: number;
  fileBytes: number;
  bps: number;
}

/** Pending orders whose tasks each download `files` files from the course source. */
export async function makeOrders(topo: Topology, options: OrderShape, count: number, tag: string) {
  const made = [];
  for (let i = 0; i < count; i++) {
    const courses = Array.from({ length: options.tasksPerOrder }, (_, j) => ({
      title: `Course ${j + 1}`,
      url: topo.source.manifestUrl(`scale-${tag}-${i}-${j}`, {
        files: options.files,
        size: options.fileBytes,
        bps: options.bps,
      }),
    }));
    made.push(await createOrder(topo.tdb.db, { courses, total: 300_000 }));
  }
  return made;
}

/** Pays the orders with signed webhooks through haproxy, `concurrency` at a time. */
export async function sendWebhooks(
  topo: Topology,
  orders: Array<{ code: string; total: number }>,
  concurrency: number,
) {
  const latenciesMs: number[] = [];
  let failed = 0;
  let next = 0;
  const sender = async () => {
    while (next < orders.length) {
      const order = orders[next++]!;
      const start = performance.now();
      const response = await postWebhook(topo.url, sepayTransaction(order.code, order.total), {
        secret: topo.secret,
      }).catch(() => ({ status: 0 }));
      latenciesMs.push(performance.now() - start);
      if (response.status !== 200) failed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, sender));
  return { latenciesMs, failed };
}
