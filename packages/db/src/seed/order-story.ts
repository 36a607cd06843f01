import type { OrderPriority, OrderStatus } from '@paidflow/contracts';
import { counterOf } from '../queries/tasks.ts';
import { COURSE_CATALOG, type Course, GATEWAYS } from './catalog.ts';
import type { Random } from './random.ts';
import type { SeedEventRow, SeedOrder, SeedOrderRow, SeedTaskRow } from './rows.ts';
import { buildTaskStory, type TaskOutcome } from './task-story.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

export interface OrderStoryInput {
  rng: Random;
  id: number;
  /** The id of the order's first task; the others follow. */
  firstTaskId: number;
  email: string;
  /** The customer's priority: a VIP customer's orders are VIP. */
  priority: OrderPriority;
  createdAt: number;
  /** Nothing in the story happens after this instant. */
  now: number;
  courseBase: string;
  /** The order's status; 'pending' means not paid yet. */
  status: OrderStatus;
  taskCount: number;
}

/**
 * The order code: DH and 8 digits, a bijection of the id (7919333 is coprime with 10^8),
 * so codes are unique without a lookup and look random.
 */
export function seedOrderCode(id: number): string {
  return `DH${String((id * 7_919_333 + 10_486_417) % 100_000_000).padStart(8, '0')}`;
}

function taskOutcomes(rng: Random, status: OrderStatus, count: number): TaskOutcome[] {
  if (status === 'pending') return Array<TaskOutcome>(count).fill('pending');
  if (status === 'completed') return Array<TaskOutcome>(count).fill('completed');
  if (status === 'cancelled') return Array<TaskOutcome>(count).fill('cancelled');
  // Every task failed: nothing was delivered.
  if (status === 'failed') return Array<TaskOutcome>(count).fill('failed');
  if (status === 'partially_completed') {
    // Some delivered, some failed (count >= 2): at least one of each.
    const outcomes = Array.from(
      { length: count },
      () => (rng.chance(0.3) ? 'failed' : 'completed') as TaskOutcome,
    );
    const failed = rng.int(0, count - 1);
    outcomes[failed] = 'failed';
    outcomes[(failed + 1) % count] = 'completed';
    return outcomes;
  }
  const outcomes = Array.from({ length: count }, () =>
    rng.weighted({ queued: 2, enrolled: 1, downloading: 4, uploading: 1, completed: 3 }),
  );
  if (!outcomes.some((outcome) => outcome !== 'completed')) outcomes[rng.int(0, count - 1)] = 'downloading';
  return outcomes;
}

/** Builds an order, its tasks and its audit trail, consistent with the order's status. */
export function buildOrderStory(input: OrderStoryInput): SeedOrder {
  const { rng, id, createdAt, status, taskCount } = input;
  const courses = pickCourses(rng, taskCount);
  const total = courses.reduce((sum, course) => sum + course.price, 0);
  const paid = status !== 'pending';
  const paidAt = paid ? createdAt + rng.int(1, 20) * MINUTE + rng.int(0, 59) * SECOND : null;
  const order: SeedOrderRow = {
    id,
    order_code: seedOrderCode(id),
    user_email: input.email,
    payment_status: paid ? 'paid' : 'pending',
    order_status: status,
    total_amount: total,
    currency: 'VND',
    priority: input.priority,
    total_tasks: taskCount,
    completed_tasks: 0,
    failed_tasks: 0,
    cancelled_tasks: 0,
    active_tasks: 0,
    created_at: createdAt,
    updated_at: paidAt ?? createdAt,
    paid_at: paidAt,
    completed_at: null,
  };
  const events: SeedEventRow[] = [];
  const orderEvent = (at: number, fields: Omit<SeedEventRow, 'order_id' | 'task_id' | 'created_at'>) =>
    events.push({ order_id: id, task_id: null, created_at: at, ...fields });
  orderEvent(createdAt, {
    event_type: 'order_created',
    severity: 'info',
    message: `Order ${order.order_code} created with ${taskCount} course${taskCount > 1 ? 's' : ''}`,
    details: { total_amount: total, currency: 'VND', courses: courses.map((course) => course.slug) },
    previous_status: null,
    new_status: 'pending',
    source: 'checkout',
    error_type: null,
  });
  if (paidAt !== null) {
    orderEvent(paidAt, {
      event_type: 'payment_received',
      severity: 'info',
      message: `Payment of ${total.toLocaleString('en-US')} VND received`,
      details: { gateway: rng.pick(GATEWAYS), transaction_id: 90_000_000 + id, amount: total },
      previous_status: 'pending',
      new_status: 'paid',
      source: 'webhook:sepay',
      error_type: null,
    });
  }

  const tasks: SeedTaskRow[] = [];
  const outcomes = taskOutcomes(rng, status, taskCount);
  courses.forEach((course, index) => {
    const story = buildTaskStory({
      rng,
      id: input.firstTaskId + index,
      orderId: id,
      orderCode: order.order_code,
      course,
      courseBase: input.courseBase,
      outcome: outcomes[index]!,
      createdAt,
      paidAt,
    });
    tasks.push(story.task);
    events.push(...story.events);
    const counter = counterOf(story.task.status);
    if (counter) order[counter]++;
  });
  if (status === 'completed' || status === 'failed' || status === 'partially_completed') {
    const endedAt = Math.max(...tasks.map((task) => task.completed_at ?? task.updated_at)) + SECOND;
    const completed = status === 'completed';
    orderEvent(endedAt, {
      event_type: completed ? 'order_completed' : 'order_failed',
      severity: completed ? 'info' : 'error',
      message: completed
        ? `All ${taskCount} courses delivered`
        : `${order.failed_tasks} of ${taskCount} courses failed`,
      details: {
        total_tasks: taskCount,
        completed_tasks: order.completed_tasks,
        failed_tasks: order.failed_tasks,
      },
      previous_status: 'processing',
      new_status: status,
      source: 'server',
      error_type: null,
    });
    if (completed) order.completed_at = endedAt;
  }
  order.updated_at = Math.max(order.updated_at, ...events.map((event) => event.created_at));
  const story: SeedOrder = { order, tasks, events };
  squeezeIntoPast(story, input.now);
  // Stable sort: events at the same instant keep the order they were told in.
  story.events.sort((a, b) => a.created_at - b.created_at);
  return story;
}

function pickCourses(rng: Random, count: number): Course[] {
  const chosen = new Set<Course>();
  while (chosen.size < count) chosen.add(rng.pick(COURSE_CATALOG));
  return [...chosen];
}

/** A story that would run past `now` (the newest orders) is compressed to end just before it. */
function squeezeIntoPast({ order, tasks, events }: SeedOrder, now: number): void {
  const end = order.updated_at;
  const limit = now - SECOND;
  if (end <= limit) return;
  const start = order.created_at;
  const ratio = Math.max(0, limit - start) / Math.max(1, end - start);
  const map = (t: number) => start + Math.floor((t - start) * ratio);
  const mapNullable = (t: number | null) => (t === null ? null : map(t));
  order.updated_at = map(order.updated_at);
  order.paid_at = mapNullable(order.paid_at);
  order.completed_at = mapNullable(order.completed_at);
  for (const task of tasks) {
    task.updated_at = map(task.updated_at);
    task.started_at = mapNullable(task.started_at);
    task.completed_at = mapNullable(task.completed_at);
    // error_log.last is the same object as the newest history entry.
    for (const entry of task.error_log?.history ?? [])
      entry.at = new Date(map(Date.parse(entry.at))).toISOString();
  }
  for (const event of events) event.created_at = map(event.created_at);
}
