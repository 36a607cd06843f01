import type { FleetResult } from './client-fleet.ts';
import type { PublisherReport } from './publisher.ts';

/** Expected deliveries (every message to every client watching its order) against what arrived. */
export function countDeliveries(options: {
  clients: number;
  orderOf: (client: number) => { orderId: number; taskIds: number[] };
  report: PublisherReport;
  received: FleetResult;
}) {
  const { report, received } = options;
  let progressExpected = 0;
  let finalProgressLost = 0;
  let statusExpected = 0;
  let statusLost = 0;
  let completeExpected = 0;
  let completeLost = 0;
  for (let client = 0; client < options.clients; client++) {
    const order = options.orderOf(client);
    for (const taskId of order.taskIds) {
      const last = report.lastSeq[taskId] ?? 0;
      progressExpected += last;
      if (last > 0 && received.lastSeq[client]!.get(taskId) !== last) finalProgressLost++;
    }
    const statuses = report.statusPerOrder[order.orderId] ?? 0;
    statusExpected += statuses;
    statusLost += Math.max(0, statuses - received.statusReceived[client]!);
    const completes = report.completePerOrder[order.orderId] ?? 0;
    completeExpected += completes;
    completeLost += Math.max(0, completes - received.completeReceived[client]!);
  }
  return {
    progressExpected,
    finalProgressLost,
    statusExpected,
    statusLost,
    completeExpected,
    completeLost,
    missingProgress: progressExpected - received.progressReceived,
    delivered: received.progressReceived + statusExpected - statusLost + completeExpected - completeLost,
  };
}
