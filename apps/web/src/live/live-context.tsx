import type { LiveEvent, LiveSnapshot } from '@paidflow/contracts';
import { createContext, type ReactNode, useContext, useEffect, useState } from 'react';
import type { ConnectionMonitor } from './connection.ts';
import { unbatch } from './events.ts';
import type { FrameScheduler } from './frame-scheduler.ts';
import { createFrameStore, type FrameStore } from './frame-store.ts';
import { type OrderLive, type OrderLiveWrite, reduceOrderLive } from './order-live.ts';
import { reduceTaskLive, type TaskLive, type TaskLiveWrite, taskLiveFromSnapshot } from './task-live.ts';

/** The live state every screen reads: per order and per task, published once per frame. */
export interface LiveStores {
  orders: FrameStore<number, OrderLive, OrderLiveWrite>;
  tasks: FrameStore<number, TaskLive, TaskLiveWrite>;
  connection: ConnectionMonitor;
}

export function createLiveStores(connection: ConnectionMonitor, scheduler?: FrameScheduler): LiveStores {
  return {
    orders: createFrameStore<number, OrderLive, OrderLiveWrite>({ reduce: reduceOrderLive, scheduler }),
    tasks: createFrameStore<number, TaskLive, TaskLiveWrite>({ reduce: reduceTaskLive, scheduler }),
    connection,
  };
}

/** Replaces what the stores hold about an order (and its tasks) with a snapshot. */
export function applySnapshot(stores: LiveStores, snapshot: LiveSnapshot, seenAt = Date.now()): void {
  const order = snapshot.order;
  if (order) stores.orders.write(order.orderId, { snapshot: { ...snapshot, order }, seenAt });
  for (const task of snapshot.tasks) stores.tasks.replace(task.taskId, taskLiveFromSnapshot(task));
}

/** Routes one message of an order's stream (a batch, in order) to the orders' and tasks' live state. */
export function applyOrderStreamEvent(stores: LiveStores, message: LiveEvent, seenAt = Date.now()): void {
  for (const event of unbatch(message)) {
    if (event.kind === 'snapshot') {
      applySnapshot(stores, event, seenAt);
      continue;
    }
    stores.orders.write(event.data.orderId, { event, seenAt });
    if (event.kind === 'task.progress' || event.kind === 'task.status')
      stores.tasks.write(event.data.taskId, event);
  }
}

const LiveContext = createContext<LiveStores | null>(null);

export function LiveProvider({ stores, children }: { stores: LiveStores; children: ReactNode }) {
  return <LiveContext.Provider value={stores}>{children}</LiveContext.Provider>;
}

export function useLive(): LiveStores {
  const stores = useContext(LiveContext);
  if (!stores) throw new Error('useLive outside LiveProvider');
  return stores;
}

/** The connection indicator's state. */
export function useConnectionStatus() {
  const { connection } = useLive();
  const [status, setStatus] = useState(connection.getStatus());
  useEffect(() => {
    setStatus(connection.getStatus());
    return connection.subscribe(() => setStatus(connection.getStatus()));
  }, [connection]);
  return status;
}
