import { alerts, downloadTasks, outbox, paymentTransactions } from '@paidflow/db';
import { eq, inArray, isNull } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startTestServer, type TestServer } from '../testing/pipeline-fixtures.ts';
import { type SmtpSink, startSmtpSink } from '../testing/smtp-sink.ts';
import { startWebhookReceiver, type WebhookReceiver } from './test-fixtures.ts';

// Test helpers (not a shipped code path): a real server whose alerts go to an SMTP sink and a
// webhook receiver, with thresholds small enough for tests; the test runs each check itself.

export interface AlertTestServer {
  t: TestServer;
  sink: SmtpSink;
  hook: WebhookReceiver;
  /** Leaves nothing that meets a condition, and forgets every alert and message. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function startAlertTestServer(label: string): Promise<AlertTestServer> {
  const sink = await startSmtpSink();
  const hook = await startWebhookReceiver();
  const t = await startTestServer(label, {
    SMTP_URL: sink.url,
    ADMIN_ALERT_EMAIL: 'ops@example.com',
    ALERT_WEBHOOK_URL: hook.url,
    // The test runs each check itself (runOnce), and nothing else moves the data under it.
    ALERTS_ENABLED: 'false',
    OUTBOX_POLL_MS: '60000',
    RECONCILE_INTERVAL_MS: '3600000',
    ALERT_OUTBOX_AGE_SECONDS: '60',
    ALERT_PAYMENT_UNMATCHED_SECONDS: '0',
    ALERT_BACKLOG_MAX: '3',
    ALERT_FAILURE_MIN_TASKS: '3',
    ALERT_DEAD_LETTER_WINDOW_SECONDS: '2',
    ALERT_WORKER_DOWN_SECONDS: '1',
  });
  // The outbox drainer's first pass is over: rows a test writes directly then stay put (it polls
  // once a minute and is only kicked by the server's own commits).
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  return {
    t,
    sink,
    hook,
    async reset() {
      const { db } = t.tdb;
      await db.update(outbox).set({ dispatched_at: new Date() }).where(isNull(outbox.dispatched_at));
      await db.update(downloadTasks).set({ status: 'cancelled' }).where(eq(downloadTasks.status, 'queued'));
      await db
        .update(downloadTasks)
        .set({ updated_at: new Date(0) })
        .where(inArray(downloadTasks.status, ['failed', 'completed']));
      await db
        .update(paymentTransactions)
        .set({ status: 'ignored' })
        .where(inArray(paymentTransactions.status, ['unmatched', 'underpaid']));
      await db.delete(alerts);
      await t.server.deps.queue.obliterate({ force: true });
      sink.messages.length = 0;
      hook.bodies.length = 0;
      hook.status = 200;
      sink.refuseRecipients = false;
    },
    async close() {
      await t.close();
      await hook.close();
      await sink.close();
    },
  };
}

/**
 * The server of a test file: started before its tests, reset after each (each starts with nothing
 * firing), closed after all. Its fields are set once the file's beforeAll ran.
 */
export function useAlertTestServer(label: string): AlertTestServer {
  const server = {} as AlertTestServer;
  beforeAll(async () => {
    Object.assign(server, await startAlertTestServer(label));
  });
  afterAll(() => server.close());
  afterEach(() => server.reset());
  return server;
}
