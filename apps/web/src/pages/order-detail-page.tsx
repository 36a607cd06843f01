import type { OrderDetailWithLive, OrderPriority, TaskWithLive } from '@paidflow/contracts';
import { isActiveTaskStatus } from '@paidflow/contracts/constants';
import { useId } from 'react';
import { errorCode, errorMessage } from '../api/errors.ts';
import { ActionResultNotice } from '../components/action-result.tsx';
import { AuditPanel } from '../components/audit-panel.tsx';
import { DeliveryPanel } from '../components/delivery-panel.tsx';
import { ErrorBox, Loading, Notice } from '../components/feedback.tsx';
import { OperatorOnly } from '../components/operator-only.tsx';
import { OrderStatusBadge, PriorityBadge } from '../components/status-badge.tsx';
import { TaskCard } from '../components/task-card.tsx';
import {
  useLiveOrderEta,
  useLiveOrderStatus,
  useOrderDetail,
  useTaskActions,
  useTaskView,
} from '../hooks/use-order-detail.ts';
import { useSession } from '../hooks/use-session.ts';
import { formatDateTime, formatEta, formatMoney } from '../lib/format.ts';
import { buildHref } from '../router/history.ts';
import { Link } from '../router/link.tsx';
import { paths } from '../router/routes.ts';

type Actions = ReturnType<typeof useTaskActions>;

function TaskItem({ task, actions }: { task: TaskWithLive; actions: Actions }) {
  const view = useTaskView(task);
  const retrying = actions.retry.isPending && actions.retry.variables?.taskId === task.id;
  const cancelling = actions.cancel.isPending && actions.cancel.variables?.taskId === task.id;
  const canRetry = view.status === 'failed';
  const canCancel = isActiveTaskStatus(view.status) || view.status === 'pending';
  return (
    <TaskCard
      task={view}
      actions={
        canRetry || canCancel ? (
          <OperatorOnly>
            {canRetry ? (
              <button
                type="button"
                className="button button--small button--primary"
                disabled={retrying}
                onClick={() => actions.retry.mutate({ taskId: task.id })}
              >
                {retrying ? 'Retrying…' : 'Retry'}
              </button>
            ) : null}
            {canCancel ? (
              <button
                type="button"
                className="button button--small button--danger"
                disabled={cancelling}
                onClick={() => actions.cancel.mutate({ taskId: task.id })}
              >
                {cancelling ? 'Cancelling…' : 'Cancel'}
              </button>
            ) : null}
          </OperatorOnly>
        ) : undefined
      }
    />
  );
}

/** The server's estimate, from the order's live progress messages ("—" until the first). */
function OrderEta({ order }: { order: OrderDetailWithLive }) {
  return <>{formatEta(useLiveOrderEta(order.id))}</>;
}

function PriorityField({ order, actions }: { order: OrderDetailWithLive; actions: Actions }) {
  const { canAct } = useSession();
  const id = useId();
  if (!canAct) {
    return <dd>{order.priority === 'vip' ? <PriorityBadge priority="vip" /> : 'normal'}</dd>;
  }
  return (
    <dd>
      <label htmlFor={id} className="visually-hidden">
        Priority
      </label>
      <select
        id={id}
        className="select"
        value={order.priority}
        disabled={actions.setPriority.isPending}
        onChange={(event) =>
          actions.setPriority.mutate({ orderId: order.id, priority: event.target.value as OrderPriority })
        }
      >
        <option value="normal">normal</option>
        <option value="vip">VIP</option>
      </select>
    </dd>
  );
}

function Summary({ order, actions }: { order: OrderDetailWithLive; actions: Actions }) {
  const liveStatus = useLiveOrderStatus(order.id);
  const status = liveStatus ?? order.order_status;
  return (
    <dl className="summary">
      <div>
        <dt>Order code</dt>
        <dd className="num">{order.order_code}</dd>
      </div>
      <div>
        <dt>Email</dt>
        <dd>{order.user_email}</dd>
      </div>
      <div>
        <dt>Status</dt>
        <dd>
          <OrderStatusBadge status={status} />
        </dd>
      </div>
      {status === 'processing' ? (
        <div>
          <dt>Estimated time left</dt>
          <dd className="num">
            <OrderEta order={order} />
          </dd>
        </div>
      ) : null}
      <div>
        <dt>Priority</dt>
        <PriorityField order={order} actions={actions} />
      </div>
      <div>
        <dt>Amount</dt>
        <dd className="num">{formatMoney(order.total_amount, order.currency)}</dd>
      </div>
      <div>
        <dt>Paid at</dt>
        <dd className="num">{formatDateTime(order.paid_at)}</dd>
      </div>
      {order.completed_at ? (
        <div>
          <dt>Ended at</dt>
          <dd className="num">{formatDateTime(order.completed_at)}</dd>
        </div>
      ) : null}
    </dl>
  );
}

/** A partially completed (or failed) order says which courses the customer did not get. */
function MissingCourses({ order }: { order: OrderDetailWithLive }) {
  const liveStatus = useLiveOrderStatus(order.id);
  const status = liveStatus ?? order.order_status;
  if (status !== 'partially_completed' && status !== 'failed') return null;
  const missing = order.tasks.filter((task) => task.status === 'failed');
  const delivered = order.tasks.filter((task) => task.status === 'completed').length;
  return (
    <Notice tone="danger">
      {delivered} of {order.tasks.length} courses delivered. Not delivered:{' '}
      <span data-testid="missing-courses">{missing.map((task) => task.title).join(', ')}</span>.
    </Notice>
  );
}

export function OrderDetailPage({ orderId }: { orderId: number }) {
  const detail = useOrderDetail(orderId);
  const actions = useTaskActions(orderId);
  const order = detail.data;
  const failedCount = order?.tasks.filter((task) => task.status === 'failed').length ?? 0;
  const actionError =
    actions.retry.error ?? actions.cancel.error ?? actions.retryFailed.error ?? actions.setPriority.error;

  if (detail.isPending) return <Loading label="Loading the order…" />;
  if (!order) {
    const notFound = errorCode(detail.error) === 'NOT_FOUND';
    return (
      <>
        <h1>{notFound ? 'Order not found' : 'Order unavailable'}</h1>
        <ErrorBox title={notFound ? `There is no order #${orderId}` : 'The order could not be loaded'}>
          {errorMessage(detail.error)} <Link to={paths.orders}>Back to the orders</Link>
        </ErrorBox>
      </>
    );
  }

  return (
    <>
      <p>
        <Link to={buildHref(paths.orders, {})}>← Paid orders</Link>
      </p>
      <div className="page-header">
        <h1>
          Order <span className="num">{order.order_code}</span>
        </h1>
        {failedCount > 0 ? (
          <OperatorOnly>
            <button
              type="button"
              className="button button--primary"
              disabled={actions.retryFailed.isPending}
              onClick={() => actions.retryFailed.mutate({ orderId })}
            >
              {actions.retryFailed.isPending ? 'Retrying…' : `Retry all failed (${failedCount})`}
            </button>
          </OperatorOnly>
        ) : null}
      </div>
      {detail.error ? (
        <ErrorBox title="Showing the last known state">{errorMessage(detail.error)}</ErrorBox>
      ) : null}
      {!order.liveAvailable ? (
        <Notice tone="info">Live progress is unavailable right now; showing the database's values.</Notice>
      ) : null}
      {actionError ? <ErrorBox title="The action failed">{errorMessage(actionError)}</ErrorBox> : null}
      {actions.retryFailed.data ? <ActionResultNotice result={actions.retryFailed.data} noun="task" /> : null}

      <section className="section" aria-labelledby="summary-heading">
        <h2 id="summary-heading">Summary</h2>
        <Summary order={order} actions={actions} />
        <MissingCourses order={order} />
      </section>

      <section className="section" aria-labelledby="tasks-heading">
        <h2 id="tasks-heading">Tasks ({order.tasks.length})</h2>
        <ul className="task-list">
          {order.tasks.map((task) => (
            <TaskItem key={task.id} task={task} actions={actions} />
          ))}
        </ul>
      </section>

      <DeliveryPanel orderId={order.id} />
      <AuditPanel order={order} />
    </>
  );
}
