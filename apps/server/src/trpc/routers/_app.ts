import { router } from '../init.ts';
import { alertsRouter } from './alerts.ts';
import { auditRouter } from './audit.ts';
import { authRouter } from './auth.ts';
import { dashboardRouter, errorsRouter } from './dashboard.ts';
import { deliveryRouter } from './delivery.ts';
import { eventsRouter } from './events.ts';
import { ordersRouter } from './orders.ts';
import { paymentsRouter } from './payments.ts';
import { queueRouter, workersRouter } from './queue.ts';
import { tasksRouter } from './tasks.ts';
import { workerRouter } from './worker.ts';

/** The whole API: one router per domain, merged here. */
export const appRouter = router({
  worker: workerRouter,
  auth: authRouter,
  dashboard: dashboardRouter,
  errors: errorsRouter,
  orders: ordersRouter,
  tasks: tasksRouter,
  audit: auditRouter,
  queue: queueRouter,
  workers: workersRouter,
  events: eventsRouter,
  payments: paymentsRouter,
  delivery: deliveryRouter,
  alerts: alertsRouter,
});

export type AppRouter = typeof appRouter;
