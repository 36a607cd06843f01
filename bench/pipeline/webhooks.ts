import { type Db, downloadTasks, orders } from '@paidflow/db';
import { signedWebhookRequest } from '@paidflow/server/testing';

/** Pending orders to pay, each with two pending tasks, inserted in bulk. Returns their codes. */
export async function seedPendingOrders(db: Db, count: number, amount: number): Promise<string[]> {
  const stamp = Date.now() % 100_000;
  const codes: string[] = [];
  for (let start = 0; start < count; start += 500) {
    const batch = Array.from({ length: Math.min(500, count - start) }, (_, i) => {
      const code = `DH${String(stamp * 100_000 + start + i).padStart(10, '0')}`;
      codes.push(code);
      return {
        order_code: code,
        user_email: `bench${start + i}@example.com`,
        total_amount: amount,
        total_tasks: 2,
      };
    });
    const [result] = await db.insert(orders).values(batch);
    // One multi-row INSERT takes consecutive auto-increment ids.
    const firstId = result.insertId;
    await db.insert(downloadTasks).values(
      batch.flatMap((_, i) =>
        [1, 2].map((k) => ({
          order_id: firstId + i,
          title: `Course ${k}`,
          course_url: `http://127.0.0.1:4100/courses/bench-${k}/manifest.json`,
        })),
      ),
    );
  }
  return codes;
}

export interface WebhookLoad {
  accepted: number;
  rejected: number;
  errors: number;
  seconds: number;
  latenciesMs: number[];
  exhausted: boolean;
}

/**
 * Sends signed SePay webhooks, each paying the next seeded order, from `concurrency` loops for
 * `seconds` (or until the orders run out). Latency is measured per request, end to end.
 */
export async function sendWebhooks(options: {
  url: string;
  secret: string;
  codes: string[];
  amount: number;
  concurrency: number;
  seconds: number;
}): Promise<WebhookLoad> {
  const deadline = Date.now() + options.seconds * 1000;
  const result: WebhookLoad = {
    accepted: 0,
    rejected: 0,
    errors: 0,
    seconds: 0,
    latenciesMs: [],
    exhausted: false,
  };
  let next = 0;
  let transactionId = Math.floor(Math.random() * 1e9);
  const started = Date.now();

  async function loop(): Promise<void> {
    while (Date.now() < deadline) {
      const code = options.codes[next++];
      if (!code) {
        result.exhausted = true;
        return;
      }
      transactionId++;
      const body = JSON.stringify({
        id: transactionId,
        gateway: 'Vietcombank',
        transactionDate: '2025-06-01 10:20:30',
        accountNumber: '0123456789',
        code,
        content: `Thanh toan ${code}`,
        transferType: 'in',
        transferAmount: options.amount,
        accumulated: 10_000_000,
        subAccount: null,
        referenceCode: `FT${transactionId}`,
        description: 'bench transfer',
      });
      const begin = process.hrtime.bigint();
      try {
        const response = await fetch(options.url, signedWebhookRequest(options.secret, body));
        await response.arrayBuffer();
        result.latenciesMs.push(Number(process.hrtime.bigint() - begin) / 1e6);
        if (response.status === 200) result.accepted++;
        else result.rejected++;
      } catch {
        result.errors++;
      }
    }
  }

  await Promise.all(Array.from({ length: options.concurrency }, () => loop()));
  result.seconds = (Date.now() - started) / 1000;
  return result;
}
