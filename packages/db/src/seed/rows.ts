import type {
  AuditEventType,
  ErrorType,
  OrderPriority,
  OrderStatus,
  PaymentStatus,
  Severity,
  TaskErrorLog,
  TaskStatus,
} from '@paidflow/contracts';

/** Timestamps are epoch milliseconds until the writer formats them. */
export interface SeedOrderRow {
  id: number;
  order_code: string;
  user_email: string;
  payment_status: PaymentStatus;
  order_status: OrderStatus;
  total_amount: number;
  currency: string;
  priority: OrderPriority;
  total_tasks: number;
  completed_tasks: number;
  failed_tasks: number;
  cancelled_tasks: number;
  active_tasks: number;
  created_at: number;
  updated_at: number;
  paid_at: number | null;
  completed_at: number | null;
}

export interface SeedTaskRow {
  id: number;
  order_id: number;
  title: string;
  course_url: string;
  status: TaskStatus;
  progress: number;
  current_file: string | null;
  error_log: TaskErrorLog | null;
  drive_link: string | null;
  attempts: number;
  queue_generation: number;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  completed_at: number | null;
}

export interface SeedEventRow {
  order_id: number;
  task_id: number | null;
  event_type: AuditEventType;
  severity: Severity;
  message: string;
  details: Record<string, unknown> | null;
  previous_status: string | null;
  new_status: string | null;
  source: string;
  error_type: ErrorType | null;
  created_at: number;
}

export interface SeedOrder {
  order: SeedOrderRow;
  tasks: SeedTaskRow[];
  /** In the order they happened; ids are given when written. */
  events: SeedEventRow[];
}
