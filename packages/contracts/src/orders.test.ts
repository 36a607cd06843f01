import { expect, test } from 'vitest';
import {
  ListPaidOrdersInput,
  ORDER_CODE_IN_TEXT,
  Order,
  OrderCode,
  OrderDetail,
  OrderStats,
  OrderStatus,
  OrderSummary,
  orderStats,
  PaidOrdersPage,
  PaymentStatus,
} from './orders.ts';

const order = {
  id: 1042,
  order_code: 'DH240315',
  user_email: 'nguyen.van.a@example.vn',
  payment_status: 'paid',
  order_status: 'processing',
  total_amount: 2_277_000,
  currency: 'VND',
  priority: 'normal',
  created_at: new Date('2024-03-15T08:00:00Z'),
  paid_at: new Date('2024-03-15T08:02:37Z'),
  completed_at: null,
};

const stats = { totalTasks: 3, completedTasks: 1, failedTasks: 0, activeTasks: 2, progressPercentage: 33 };

test('Order accepts a realistic paid order', () => {
  expect(Order.parse(order)).toEqual(order);
  expect(Order.safeParse({ ...order, order_status: 'completed', completed_at: new Date() }).success).toBe(
    true,
  );
  expect(
    Order.safeParse({ ...order, payment_status: 'pending', paid_at: null, total_amount: 0 }).success,
  ).toBe(true);
});

test('Order rejects a bad email', () => {
  for (const email of ['not-an-email', 'a@', '@example.com', 'a b@example.com', '']) {
    expect(Order.safeParse({ ...order, user_email: email }).success, email).toBe(false);
  }
});

test('Order rejects a negative amount', () => {
  expect(Order.safeParse({ ...order, total_amount: -1 }).success).toBe(false);
  expect(Order.safeParse({ ...order, total_amount: '2277000' }).success).toBe(false);
});

test('Order rejects an unknown payment or order status', () => {
  expect(Order.safeParse({ ...order, payment_status: 'settled' }).success).toBe(false);
  expect(Order.safeParse({ ...order, payment_status: 'PAID' }).success).toBe(false);
  expect(Order.safeParse({ ...order, order_status: 'downloading' }).success).toBe(false);
});

test('Order rejects a malformed order code', () => {
  for (const code of [
    'DH12345',
    'dh123456',
    'DH-123456',
    'XX123456',
    'DH1234567890123',
    ' DH123456',
    '123456',
  ]) {
    expect(Order.safeParse({ ...order, order_code: code }).success, code).toBe(false);
  }
  expect(OrderCode.safeParse('DH123456789012').success).toBe(true);
});

test('Order rejects a currency that is not a three-letter code and dates given as strings', () => {
  expect(Order.safeParse({ ...order, currency: 'VN' }).success).toBe(false);
  expect(Order.safeParse({ ...order, created_at: '2024-03-15T08:00:00Z' }).success).toBe(false);
  expect(Order.safeParse({ ...order, id: 0 }).success).toBe(false);
});

test('the payment and order statuses include the ones the pipeline uses', () => {
  for (const status of ['pending', 'paid', 'refunded']) expect(PaymentStatus.parse(status)).toBe(status);
  for (const status of ['pending', 'processing', 'completed', 'failed', 'cancelled'])
    expect(OrderStatus.parse(status)).toBe(status);
});

test('an order code is found in a bank transfer description, whatever its case', () => {
  expect('chuyen tien DH123456 mua khoa hoc'.match(ORDER_CODE_IN_TEXT)?.[0]).toBe('DH123456');
  expect('MBVCB.3278907687.dh123456.CT tu'.match(ORDER_CODE_IN_TEXT)?.[0]).toBe('dh123456');
  expect(ORDER_CODE_IN_TEXT.test('DH12345 is too short')).toBe(false);
  expect(ORDER_CODE_IN_TEXT.test('ADH123456 is glued to a word')).toBe(false);
  expect(ORDER_CODE_IN_TEXT.test('DH1234567890123 is too long')).toBe(false);
});

test('OrderSummary carries the stats the list shows and rejects a percentage over 100', () => {
  expect(OrderSummary.parse({ ...order, stats })).toEqual({ ...order, stats });
  expect(OrderSummary.safeParse(order).success).toBe(false);
  expect(OrderStats.safeParse({ ...stats, progressPercentage: 101 }).success).toBe(false);
  expect(OrderStats.safeParse({ ...stats, activeTasks: -1 }).success).toBe(false);
});

test('orderStats counts completed, failed and cancelled tasks as ended', () => {
  expect(
    orderStats({ total_tasks: 4, completed_tasks: 1, failed_tasks: 1, active_tasks: 1, cancelled_tasks: 1 }),
  ).toEqual({ totalTasks: 4, completedTasks: 1, failedTasks: 1, activeTasks: 1, progressPercentage: 75 });
  expect(
    orderStats({ total_tasks: 3, completed_tasks: 1, failed_tasks: 0, active_tasks: 2, cancelled_tasks: 0 })
      .progressPercentage,
  ).toBe(33);
});

test('orderStats of an order with no tasks is 0 percent, not NaN', () => {
  const result = orderStats({
    total_tasks: 0,
    completed_tasks: 0,
    failed_tasks: 0,
    active_tasks: 0,
    cancelled_tasks: 0,
  });
  expect(result.progressPercentage).toBe(0);
  expect(OrderStats.safeParse(result).success).toBe(true);
});

test('ListPaidOrdersInput defaults to 20 per page and trims the search', () => {
  expect(ListPaidOrdersInput.parse({})).toEqual({ limit: 20 });
  expect(ListPaidOrdersInput.parse({ search: '  DH1234 ', status: 'failed', cursor: 'abc' })).toEqual({
    search: 'DH1234',
    status: 'failed',
    limit: 20,
    cursor: 'abc',
  });
});

test('ListPaidOrdersInput rejects a blank search, an unknown status and out-of-range limits', () => {
  expect(ListPaidOrdersInput.safeParse({ search: '   ' }).success).toBe(false);
  expect(ListPaidOrdersInput.safeParse({ status: 'paid' }).success).toBe(false);
  expect(ListPaidOrdersInput.safeParse({ limit: 0 }).success).toBe(false);
  expect(ListPaidOrdersInput.safeParse({ limit: 101 }).success).toBe(false);
  expect(ListPaidOrdersInput.safeParse({ limit: 10.5 }).success).toBe(false);
  expect(ListPaidOrdersInput.safeParse({ cursor: '' }).success).toBe(false);
  expect(ListPaidOrdersInput.safeParse({ cursor: 'x'.repeat(201) }).success).toBe(false);
});

test('PaidOrdersPage and OrderDetail accept what the queries return', () => {
  expect(PaidOrdersPage.safeParse({ items: [{ ...order, stats }], nextCursor: null }).success).toBe(true);
  expect(PaidOrdersPage.safeParse({ items: [{ ...order, stats }] }).success).toBe(false);
  const task = {
    id: 1,
    order_id: order.id,
    title: 'React Masterclass',
    course_url: 'https://courses.example.com/react',
    status: 'downloading',
    progress: 40,
    current_file: 'lesson-01.mp4',
    error_log: null,
    drive_link: null,
    delivered_files: null,
    attempts: 1,
    created_at: new Date(),
    updated_at: new Date(),
    started_at: new Date(),
    completed_at: null,
  };
  expect(OrderDetail.safeParse({ ...order, stats, tasks: [task] }).success).toBe(true);
  expect(OrderDetail.safeParse({ ...order, stats, tasks: [{ ...task, status: 'paid' }] }).success).toBe(
    false,
  );
});

test('an order code glued to the following words is still found', () => {
  expect('DH123456chuyen tien'.match(ORDER_CODE_IN_TEXT)?.[0]).toBe('DH123456');
  expect('thanh toan DH1234567.CT'.match(ORDER_CODE_IN_TEXT)?.[0]).toBe('DH1234567');
});
