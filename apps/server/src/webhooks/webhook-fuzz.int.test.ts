import { randomInt } from 'node:crypto';
import { orders, paymentTransactions } from '@paidflow/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createOrder, startTestServer, TEST_SECRET, type TestServer } from '../testing/pipeline-fixtures.ts';
import { bodyKey } from './body.ts';
import { createFuzzer, type FuzzBody, type FuzzOrder } from './fuzz-bodies.ts';
import { signatureHeader } from './signature.ts';

/** How many bodies, how many in flight; FUZZ_SEED replays a run. */
const BODIES = 3000;
const IN_FLIGHT = 8;
const SEED = Number(process.env.FUZZ_SEED ?? randomInt(1, 2 ** 31));
const MAX_BYTES = 64 * 1024;

let t: TestServer;
const fuzzOrders: Array<FuzzOrder & { id: number }> = [];
const starved: Array<FuzzOrder & { id: number }> = [];

beforeAll(async () => {
  t = await startTestServer('fuzz');
  for (let i = 0; i < 80; i++) {
    const total = randomInt(10, 2000) * 1000;
    const { orderId, code } = await createOrder(t.tdb.db, { tasks: randomInt(0, 3), total });
    (i % 4 === 0 ? starved : fuzzOrders).push({ id: orderId, code, total });
  }
});
afterAll(async () => {
  await t?.close();
});

async function send(body: FuzzBody): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${t.server.url}/webhooks/payment`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'paidflow-signature': signatureHeader(TEST_SECRET, body.raw),
    },
    body: body.raw,
  });
  const text = await response.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: response.status, json };
}

test(`thousands of hostile signed bodies: no 5xx, each stored once, no order paid by a bad amount (seed ${SEED})`, async () => {
  const fuzzer = createFuzzer({
    seed: SEED,
    orders: fuzzOrders,
    starved,
    maxBytes: MAX_BYTES,
    firstId: randomInt(1, 1e9),
  });
  const bodies = Array.from({ length: BODIES }, () => fuzzer.next());
  const answers: Array<{ status: number; json: unknown }> = new Array(bodies.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < bodies.length) {
        const index = next++;
        answers[index] = await send(bodies[index]!);
      }
    }),
  );
  const context = (i: number) =>
    `seed ${SEED}, body ${i} (${bodies[i]!.kind}): ${JSON.stringify(answers[i])}`;

  const rows = await t.tdb.db.select().from(paymentTransactions);
  const byKey = new Map(rows.map((row) => [row.provider_transaction_id, row]));
  const expectedKeys = new Set<string>();
  const credited = new Map<string, number>();
  for (const [i, body] of bodies.entries()) {
    const { status, json } = answers[i]!;
    expect(status, context(i)).toBeLessThan(500);
    if (body.expect === 'too-large') {
      expect(status, context(i)).toBe(413);
      continue;
    }
    expect(status, context(i)).toBe(200);
    const key = body.expect === 'payment' ? String(body.transactionId) : bodyKey(body.raw);
    expectedKeys.add(key);
    const row = byKey.get(key);
    expect(row, `stored: ${context(i)}`).toBeDefined();
    if (body.expect === 'rejected') {
      expect(row!.status, context(i)).toBe('rejected');
      expect((json as { success: boolean }).success, context(i)).toBe(false);
    } else {
      expect(['applied', 'overpaid', 'underpaid', 'unmatched', 'ignored'], context(i)).toContain(row!.status);
    }
    if (body.keepsBytes) expect(row!.raw_body?.equals(body.raw), `raw bytes: ${context(i)}`).toBe(true);
    else expect(row!.raw_body, `no raw bytes needed: ${context(i)}`).toBeNull();
    if (body.pays && !body.replay) {
      credited.set(body.pays.code, (credited.get(body.pays.code) ?? 0) + body.pays.amount);
    }
  }
  // Every stored row is one the generator expected: nothing extra, nothing twice.
  expect(rows).toHaveLength(expectedKeys.size);
  expect(rows.filter((row) => row.status === 'received')).toEqual([]);

  // An order is paid exactly when its valid incoming transfers add up to its total.
  const stored = await t.tdb.db.select().from(orders);
  const paidShould = (order: FuzzOrder) => (credited.get(order.code) ?? 0) >= order.total;
  for (const order of [...fuzzOrders, ...starved]) {
    const row = stored.find((candidate) => candidate.id === order.id)!;
    const credit = credited.get(order.code) ?? 0;
    expect(
      row.payment_status === 'paid',
      `order ${order.code}: total ${order.total}, valid transfers ${credit}`,
    ).toBe(paidShould(order));
  }
  // The generator did exercise both sides.
  expect(fuzzOrders.some(paidShould)).toBe(true);
  expect(starved.every((order) => !paidShould(order))).toBe(true);
  const starvedCodes = new Set(starved.map((order) => order.code));
  const hostileForStarved = bodies.filter((body) =>
    starvedCodes.has(body.raw.toString('latin1').match(/DH\d{8}/)?.[0] ?? ''),
  );
  expect(hostileForStarved.length).toBeGreaterThan(BODIES / 10);
  const kinds = new Set(bodies.map((body) => body.kind));
  expect(kinds.size).toBeGreaterThanOrEqual(18);
  const applied = await t.tdb.db
    .select()
    .from(paymentTransactions)
    .where(eq(paymentTransactions.status, 'applied'));
  expect(applied.length).toBeGreaterThan(0);
}, 90_000);
