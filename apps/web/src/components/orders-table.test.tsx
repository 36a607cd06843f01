// @vitest-environment jsdom
import type { OrderSummary } from '@paidflow/contracts';
import { act, cleanup, screen, within } from '@testing-library/react';
import { afterEach, expect, test } from 'vitest';
import { renderLive } from '../test-utils.tsx';
import { OrdersTable } from './orders-table.tsx';

afterEach(cleanup);

function order(id: number, code: string, overrides: Partial<OrderSummary> = {}): OrderSummary {
  return {
    id,
    order_code: code,
    user_email: `customer${id}@example.com`,
    payment_status: 'paid',
    order_status: 'processing',
    total_amount: 300_000,
    currency: 'VND',
    priority: 'normal',
    created_at: new Date(0),
    paid_at: new Date(0),
    completed_at: null,
    stats: { totalTasks: 3, completedTasks: 1, failedTasks: 0, activeTasks: 2, progressPercentage: 33 },
    ...overrides,
  };
}

const rowOf = (code: string) => screen.getByRole('link', { name: code }).closest('tr') as HTMLElement;

test('each paid order shows its code, email, status, tasks done and progress', () => {
  renderLive(
    <OrdersTable
      orders={[
        order(1, 'DH100001'),
        order(2, 'DH100002', {
          order_status: 'failed',
          stats: {
            totalTasks: 2,
            completedTasks: 1,
            failedTasks: 1,
            activeTasks: 0,
            progressPercentage: 100,
          },
        }),
      ]}
    />,
  );
  const first = within(rowOf('DH100001'));
  expect(first.getByText('customer1@example.com')).toBeTruthy();
  expect(first.getByText('processing')).toBeTruthy();
  expect(first.getByText('1/3')).toBeTruthy();
  expect(first.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('33');
  expect(screen.getByRole('link', { name: 'DH100001' }).getAttribute('href')).toBe('/orders/1');
  const second = within(rowOf('DH100002'));
  expect(second.getByText('failed')).toBeTruthy();
  expect(second.getByText('1 failed')).toBeTruthy();
  expect(second.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
});

test('a row follows live events on the next frame, without a refetch', () => {
  const { stores, frames } = renderLive(
    <OrdersTable orders={[order(1, 'DH100001'), order(2, 'DH100002')]} />,
  );
  const seenAt = Date.now();
  stores.orders.write(1, {
    event: {
      kind: 'task.progress',
      data: {
        taskId: 11,
        orderId: 1,
        phase: 'download',
        percent: 50,
        currentFile: 'lesson-03.bin',
        bytesDone: 5,
        bytesTotal: 10,
        speed: 1024,
        etaSeconds: 5,
        timestamp: 100,
      },
    },
    seenAt,
  });
  stores.orders.write(1, {
    event: {
      kind: 'order.progress',
      data: {
        orderId: 1,
        percent: 50,
        completedTasks: 1,
        failedTasks: 0,
        cancelledTasks: 0,
        totalTasks: 3,
        etaSeconds: null,
        timestamp: 100,
      },
    },
    seenAt,
  });
  // Nothing moves before the frame.
  expect(within(rowOf('DH100001')).queryByText('lesson-03.bin')).toBeNull();
  act(() => frames.runFrame());
  const row = within(rowOf('DH100001'));
  expect(row.getByText('lesson-03.bin')).toBeTruthy();
  expect(row.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('50');

  stores.orders.write(1, {
    event: {
      kind: 'order.complete',
      data: { orderId: 1, totalTasks: 3, completedTasks: 3, failedTasks: 0, timestamp: 200 },
    },
    seenAt,
  });
  stores.orders.write(1, {
    event: {
      kind: 'order.status',
      data: {
        orderId: 1,
        orderCode: 'DH100001',
        paymentStatus: 'paid',
        previousStatus: 'processing',
        newStatus: 'completed',
        timestamp: 200,
      },
    },
    seenAt,
  });
  act(() => frames.runFrame());
  const done = within(rowOf('DH100001'));
  expect(done.getByText('completed')).toBeTruthy();
  expect(done.getByText('3/3')).toBeTruthy();
  expect(done.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
  expect(done.queryByText('lesson-03.bin')).toBeNull();
  // The other row never moved.
  expect(within(rowOf('DH100002')).getByText('1/3')).toBeTruthy();
});

test('processing rows get a live subscriber, the others do not', () => {
  const watched: number[] = [];
  renderLive(
    <OrdersTable
      orders={[order(1, 'DH100001'), order(2, 'DH100002', { order_status: 'completed' })]}
      watch={(orderId) => {
        watched.push(orderId);
        return null;
      }}
    />,
  );
  expect(new Set(watched)).toEqual(new Set([1]));
});
