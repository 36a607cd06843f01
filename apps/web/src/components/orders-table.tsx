import type { OrderSummary } from '@paidflow/contracts';
import type { ReactNode } from 'react';
import { useOrderRow } from '../hooks/use-orders.ts';
import { formatEta } from '../lib/format.ts';
import { Link } from '../router/link.tsx';
import { paths } from '../router/routes.ts';
import { SegmentedProgress } from './segmented-progress.tsx';
import { OrderStatusBadge, PriorityBadge } from './status-badge.tsx';

export interface OrdersTableProps {
  orders: OrderSummary[];
  /** Renders what follows a processing order's own stream (the page passes a subscriber). */
  watch?: (orderId: number) => ReactNode;
  caption?: string;
}

function OrderRow({ order, watch }: { order: OrderSummary; watch?: (orderId: number) => ReactNode }) {
  const row = useOrderRow(order);
  return (
    <tr data-order-id={row.id} data-status={row.status}>
      <td data-label="Order" className="num">
        <Link to={paths.order(row.id)}>{row.code}</Link> <PriorityBadge priority={row.priority} />
        {watch && row.status === 'processing' ? watch(row.id) : null}
      </td>
      <td data-label="Email" className="truncate" title={row.email}>
        {row.email}
      </td>
      <td data-label="Status">
        <OrderStatusBadge status={row.status} />
      </td>
      <td
        data-label="Tasks"
        className="num"
        title={`${row.completed} completed, ${row.failed} failed, of ${row.total}`}
      >
        {row.completed}/{row.total}
        {row.failed > 0 ? <span className="tasks-failed">{row.failed} failed</span> : null}
      </td>
      <td data-label="Progress">
        <SegmentedProgress
          label={`Order ${row.code}`}
          total={row.total}
          completed={row.completed}
          failed={row.failed}
          inProgress={row.inProgress}
        />
        {row.etaSeconds !== null ? <span className="muted eta">ETA {formatEta(row.etaSeconds)}</span> : null}
      </td>
      <td data-label="Current file" title={row.currentFile ?? undefined}>
        <span className="live-line truncate">{row.currentFile ?? <span className="muted">—</span>}</span>
      </td>
    </tr>
  );
}

/** Paid orders, one row each; each row follows its own live state, frame by frame. */
export function OrdersTable({ orders, watch, caption = 'Paid orders' }: OrdersTableProps) {
  return (
    <div className="table-wrap">
      <table className="data data--cards data--live">
        <caption className="visually-hidden">{caption}</caption>
        <colgroup>
          <col className="col-code" />
          <col />
          <col className="col-status" />
          <col className="col-tasks" />
          <col className="col-progress" />
          <col />
        </colgroup>
        <thead>
          <tr>
            <th scope="col">Order</th>
            <th scope="col">Email</th>
            <th scope="col">Status</th>
            <th scope="col">Tasks</th>
            <th scope="col">Progress</th>
            <th scope="col">Current file</th>
          </tr>
        </thead>
        <tbody>
          {orders.map((order) => (
            <OrderRow key={order.id} order={order} watch={watch} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
