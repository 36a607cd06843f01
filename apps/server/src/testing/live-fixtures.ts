import type { AdminRole, TaskStatus } from '@paidflow/contracts';
import { type Db, insertTasks, orders, transitionTask } from '@paidflow/db';
import { eq } from 'drizzle-orm';
import { createAdmin } from '../auth/admins.ts';
import { SESSION_COOKIE } from '../auth/cookies.ts';
import { createSession } from '../auth/session.ts';
import type { AppDeps } from '../deps.ts';
import { type Context, createContextInner, type Principal } from '../trpc/context.ts';
import { createCallerFactory } from '../trpc/init.ts';
import { appRouter } from '../trpc/routers/_app.ts';
import { nextOrderCode } from './pipeline-fixtures.ts';

/** Test helpers of the live API's tests (not shipped code paths). */

let adminCounter = 0;

export interface TestAdmin {
  id: number;
  email: string;
  role: AdminRole;
  token: string;
  cookie: string;
  principal: Principal;
}

/** An admin with a fresh session (its cookie header and its principal). */
export async function createTestAdmin(deps: Pick<AppDeps, 'db'>, role: AdminRole): Promise<TestAdmin> {
  adminCounter++;
  const email = `${role}${adminCounter}-${Date.now()}@example.com`;
  const id = await createAdmin(deps.db, { email, password: 'correct horse battery', role });
  const { token, session } = await createSession(deps, { id, email, role });
  return {
    id,
    email,
    role,
    token,
    cookie: `${SESSION_COOKIE}=${token}`,
    principal: { kind: 'admin', session },
  };
}

/** A createCaller of the whole API for a principal (null: signed out). */
export async function callerFor(
  deps: AppDeps,
  principal: Principal | null,
  extra: { setCookie?: (cookie: string) => void; clientIp?: string } = {},
) {
  const ctx: Context = await createContextInner(deps, { principal, ...extra });
  return createCallerFactory(appRouter)(ctx);
}

/**
 * A paid order whose tasks end up in the given statuses (through transitionTask, so the order's
 * counters are exact). The order is processing, or `orderStatus` when given.
 */
export async function createPaidOrder(
  db: Db,
  options: {
    statuses: TaskStatus[];
    orderStatus?: 'processing' | 'completed' | 'failed' | 'cancelled';
    email?: string;
    code?: string;
  },
): Promise<{ orderId: number; code: string; taskIds: number[] }> {
  const code = options.code ?? nextOrderCode();
  const [result] = await db.insert(orders).values({
    order_code: code,
    user_email: options.email ?? 'buyer@example.com',
    total_amount: 500_000,
    payment_status: 'paid',
    order_status: options.orderStatus ?? 'processing',
    paid_at: new Date(),
  });
  const orderId = result.insertId;
  const taskIds = await insertTasks(
    db,
    orderId,
    options.statuses.map((_, i) => ({
      title: `Course ${i + 1}`,
      course_url: `http://127.0.0.1:1/c/${i + 1}`,
    })),
  );
  for (const [i, status] of options.statuses.entries()) {
    if (status === 'pending') continue;
    await transitionTask(db, {
      taskId: taskIds[i]!,
      to: status,
      patch:
        status === 'failed'
          ? {
              error_log: {
                last: {
                  type: 'NETWORK',
                  message: 'connection reset',
                  retryable: true,
                  attempt: 3,
                  step: 'download',
                  file: 'a.mp4',
                  at: new Date().toISOString(),
                },
                history: [],
              },
              attempts: 3,
            }
          : status === 'completed'
            ? { progress: 100 }
            : undefined,
    });
  }
  return { orderId, code, taskIds };
}

export async function orderRow(db: Db, orderId: number) {
  const [row] = await db.select().from(orders).where(eq(orders.id, orderId));
  return row!;
}
