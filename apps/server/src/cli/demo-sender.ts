import { pathToFileURL } from 'node:url';
import type { SepayTransaction } from '@paidflow/contracts';
import { EnvDatabaseUrl, EnvList, EnvLogLevel, parseEnvOrExit } from '@paidflow/contracts';
import { createDb, type Db, oldestPendingOrder } from '@paidflow/db';
import { placeDemoOrder } from '@paidflow/db/seed';
import { createLogger, type Logger } from '@paidflow/runtime';
import { z } from 'zod';
import { DEV_WEBHOOK_SECRET } from '../env.ts';
import { WEBHOOK_PATH } from '../webhooks/sepay.ts';
import { signedWebhookRequest } from '../webhooks/signature.ts';

/**
 * The demo sender of `npm start`: every few seconds it pays one pending seeded order with a
 * correctly signed SePay webhook, so that work keeps moving on the dashboard.
 */

const DemoEnv = z.object({
  DATABASE_URL: EnvDatabaseUrl,
  WEBHOOK_SECRETS: EnvList.default([DEV_WEBHOOK_SECRET]).pipe(
    z.array(z.string()).min(1, 'needs at least one secret'),
  ),
  /** The server (the webhook path is added when missing) or the full webhook URL. */
  SERVER_URL: z
    .url()
    .default('http://127.0.0.1:3000')
    .transform((value) => {
      const url = new URL(value);
      if (url.pathname === '/' || url.pathname === '') url.pathname = WEBHOOK_PATH;
      return url.toString();
    }),
  DEMO_INTERVAL_MS: z.coerce.number().int().min(250).default(4000),
  /** When the seeded pending orders are used up, place new ones on this course source (none: stop). */
  DEMO_COURSE_BASE: z.url().default('http://127.0.0.1:4100/courses'),
  DEMO_PLACE_ORDERS: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  LOG_LEVEL: EnvLogLevel,
});
export type DemoEnv = z.infer<typeof DemoEnv>;

export interface DemoSenderOptions {
  db: Db;
  /** Signs with this secret: the first of WEBHOOK_SECRETS, the one a sender uses. */
  secret: string;
  url: string;
  logger: Logger;
  /** When no pending order is left, place a new one on this course source, as the shop would. */
  placeOrders?: { courseBase: string };
}

export type DemoResult =
  | { kind: 'idle' }
  | { kind: 'sent'; orderCode: string; transactionId: number; status: number; body: string }
  | { kind: 'unreachable'; orderCode: string; error: string };

let sequence = 0;

/** A unique SePay transaction id: milliseconds since the epoch, times 1000, plus a counter. */
function nextTransactionId(): number {
  sequence = (sequence + 1) % 1000;
  return Date.now() * 1000 + sequence;
}

function formatBankTime(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * Pays the oldest pending order (with tasks) that this sender has not tried yet. Returns what
 * happened; never throws for a server that is down (it is simply tried again next time).
 */
export async function payOnePendingOrder(
  options: DemoSenderOptions,
  tried: Set<number>,
): Promise<DemoResult> {
  const order = await oldestPendingOrder(options.db, tried);
  if (!order) return { kind: 'idle' };
  const id = nextTransactionId();
  const transaction: SepayTransaction = {
    id,
    gateway: 'DemoBank',
    transactionDate: formatBankTime(new Date()),
    accountNumber: '0000000000',
    code: order.order_code,
    content: `Thanh toan don hang ${order.order_code}`,
    transferType: 'in',
    transferAmount: order.total_amount,
    accumulated: 0,
    subAccount: null,
    referenceCode: `DEMO${id}`,
    description: `Demo payment for ${order.order_code}`,
  };
  const raw = JSON.stringify(transaction);
  try {
    const response = await fetch(options.url, {
      ...signedWebhookRequest(options.secret, raw),
      signal: AbortSignal.timeout(10_000),
    });
    const body = await response.text();
    // Whatever the answer, this order has had its payment: do not pay it twice.
    if (response.status < 500) tried.add(order.id);
    return { kind: 'sent', orderCode: order.order_code, transactionId: id, status: response.status, body };
  } catch (error) {
    return { kind: 'unreachable', orderCode: order.order_code, error: (error as Error).message };
  }
}

/** Pays an order every intervalMs until stopped. */
export function startDemoSender(options: DemoSenderOptions & { intervalMs: number }): {
  stop(): Promise<void>;
} {
  const tried = new Set<number>();
  let running: Promise<void> | null = null;
  // Idle, server down, MySQL down: each is said once, not every few seconds.
  let lastState = '';
  function once(state: string, log: () => void): void {
    if (state !== lastState) log();
    lastState = state;
  }
  async function tick(): Promise<void> {
    try {
      const result = await payOnePendingOrder(options, tried);
      if (result.kind === 'idle' && options.placeOrders) {
        const order = await placeDemoOrder(options.db, options.placeOrders);
        lastState = 'placed';
        options.logger.info({ order: order.order_code }, 'demo sender: new order placed');
      } else if (result.kind === 'idle') {
        once('idle', () => options.logger.info('demo sender: no pending orders left to pay'));
      } else if (result.kind === 'unreachable') {
        once('unreachable', () =>
          options.logger.warn(
            { order: result.orderCode, error: result.error },
            'demo sender: server unreachable',
          ),
        );
      } else {
        lastState = 'sent';
        options.logger.info(
          {
            order: result.orderCode,
            transactionId: result.transactionId,
            status: result.status,
            body: result.body,
          },
          'demo sender: payment sent',
        );
      }
    } catch (error) {
      const cause = (error as { cause?: Error }).cause ?? (error as Error);
      once('mysql', () =>
        options.logger.warn({ error: cause.message }, 'demo sender: could not read orders'),
      );
    }
  }
  const timer = setInterval(() => {
    if (!running) running = tick().finally(() => (running = null));
  }, options.intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

async function main(): Promise<void> {
  const env = parseEnvOrExit(DemoEnv);
  const logger = createLogger(env.LOG_LEVEL, 'demo-sender');
  const database = createDb({ url: env.DATABASE_URL, connectionLimit: 2 });
  const sender = startDemoSender({
    db: database.db,
    secret: env.WEBHOOK_SECRETS[0]!,
    url: env.SERVER_URL,
    logger,
    intervalMs: env.DEMO_INTERVAL_MS,
    placeOrders: env.DEMO_PLACE_ORDERS ? { courseBase: env.DEMO_COURSE_BASE } : undefined,
  });
  logger.info({ url: env.SERVER_URL, intervalMs: env.DEMO_INTERVAL_MS }, 'demo sender started');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void sender
        .stop()
        .then(() => database.close())
        .finally(() => process.exit(0));
    });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
