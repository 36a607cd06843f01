// What a live client knows of its order after the events it received, and what the database says
// of each order's completion: shared by the topology test and the scale benchmark.
import type { LiveEvent } from '@paidflow/contracts';
import type { TestDatabase } from '@paidflow/db/testing';

type Update = Exclude<LiveEvent, { kind: 'batch' }>;

export interface LiveState {
  orderStatus: string | null;
  /** Task id -> its latest status. */
  tasks: Map<number, string>;
  /** An order.complete event was received (not merely a snapshot showing the end). */
  completeSeen: boolean;
  snapshots: number;
}

/** Applies events in order, as the web app does: a snapshot replaces, updates change. */
export function foldLiveState(events: ReadonlyArray<{ data: Update }>): LiveState {
  const state: LiveState = { orderStatus: null, tasks: new Map(), completeSeen: false, snapshots: 0 };
  for (const { data } of events) {
    if (data.kind === 'snapshot') {
      state.snapshots++;
      state.orderStatus = data.order?.status ?? null;
      state.tasks = new Map(data.tasks.map((task) => [task.taskId, task.status]));
    } else if (data.kind === 'task.status') state.tasks.set(data.data.taskId, data.data.newStatus);
    else if (data.kind === 'order.status') state.orderStatus = data.data.newStatus;
    else if (data.kind === 'order.complete') state.completeSeen = true;
  }
  return state;
}

/** The state is the end of an order whose tasks all completed. */
export function isCompleted(state: LiveState, taskIds: readonly number[]): boolean {
  return state.orderStatus === 'completed' && taskIds.every((id) => state.tasks.get(id) === 'completed');
}

export interface CompletionRecord {
  status: string;
  /** order_completed audit events. */
  audits: number;
  /** Notification outbox rows announcing the completion (the customer's one e-mail). */
  notifications: number;
}

/** Per order: its status, and how many completion audit events and notification rows it has. */
export async function completionRecords(
  tdb: TestDatabase,
  orderIds: readonly number[],
): Promise<Map<number, CompletionRecord>> {
  const records = new Map<number, CompletionRecord>();
  if (orderIds.length === 0) return records;
  const [orders] = await tdb.pool.query('SELECT id, order_status FROM orders WHERE id IN (?)', [orderIds]);
  for (const row of orders as Array<{ id: number; order_status: string }>)
    records.set(row.id, { status: row.order_status, audits: 0, notifications: 0 });
  const [audits] = await tdb.pool.query(
    `SELECT order_id AS id, COUNT(*) AS n FROM order_audit_logs
     WHERE event_type = 'order_completed' AND order_id IN (?) GROUP BY order_id`,
    [orderIds],
  );
  for (const row of audits as Array<{ id: number; n: number }>) records.get(row.id)!.audits = Number(row.n);
  const [notifications] = await tdb.pool.query(
    `SELECT CAST(JSON_VALUE(payload, '$.orderId') AS UNSIGNED) AS id, COUNT(*) AS n FROM outbox
     WHERE topic = 'notification' AND JSON_VALUE(payload, '$.kind') = 'order_completed'
     GROUP BY id`,
  );
  for (const row of notifications as Array<{ id: number; n: number }>) {
    const record = records.get(Number(row.id));
    if (record) record.notifications = Number(row.n);
  }
  return records;
}
