import { MAX_TRANSFER_AMOUNT } from '@paidflow/contracts';
import { createRandom } from '@paidflow/db/seed';
import { LOSSY_EXTRA_TOKENS, lossyFieldTokens } from './fuzz-numbers.ts';

/**
 * Seeded hostile webhook bodies for webhook-fuzz.int.test.ts, each saying what the webhook must
 * make of it by construction: a payment (stored under its id; `pays` counts toward its order), a
 * rejected body (stored under the hash of its bytes, pays nothing), or one too large to read.
 */

export interface FuzzOrder {
  code: string;
  total: number;
}

export interface FuzzBody {
  /** The generator's case, for failure messages. */
  kind: string;
  raw: Buffer;
  expect: 'payment' | 'rejected' | 'too-large';
  /** A payment's provider id. */
  transactionId?: number;
  /** What a payment adds to an order's transfers (an incoming transfer that names the order). */
  pays?: { code: string; amount: number };
  /** Whether raw_body must hold the exact bytes. */
  keepsBytes: boolean;
  /** The same bytes were sent before (a replay): no new row. */
  replay?: boolean;
}

const LONE = ['\ud800', '\udbff', '\udc00', '\udfff'];
const CASES = {
  exact: 8,
  partial: 6,
  over: 3,
  unknownCode: 3,
  outgoing: 2,
  exponentAmount: 2,
  surrogates: 6,
  nul: 3,
  bigPad: 3,
  deep: 4,
  repeatedExtra: 3,
  repeatedField: 4,
  badAmount: 10,
  wrongTypes: 8,
  lossyExtra: 3,
  lossyField: 6,
  notAnObject: 3,
  notJson: 4,
  invalidUtf8: 4,
  tooLarge: 1,
  replay: 5,
} as const;
type Case = keyof typeof CASES;

export interface FuzzOptions {
  seed: number;
  /** Orders any body may name. */
  orders: FuzzOrder[];
  /**
   * Orders that must stay unpaid: they get hostile bodies of every kind (wrong amounts, repeated
   * fields, wrong types...) and valid partial transfers that stay short of their total.
   */
  starved: FuzzOrder[];
  maxBytes: number;
  firstId: number;
}

const NEVER_PAYS: Case[] = [
  'badAmount',
  'repeatedField',
  'wrongTypes',
  'lossyField',
  'notJson',
  'surrogates',
];

export function createFuzzer(options: FuzzOptions) {
  const rng = createRandom(options.seed);
  const starvedCredit = new Map<string, number>();
  const sent: FuzzBody[] = [];
  let nextId = options.firstId;

  const payment = (order: FuzzOrder, amount: number, overrides: Record<string, unknown> = {}) => ({
    id: nextId++,
    gateway: rng.pick(['Vietcombank', 'MBBank', 'TPBank', 'ACB']),
    transactionDate: '2026-05-01 10:20:30',
    accountNumber: '0123456789',
    code: order.code,
    content: `Thanh toan ${order.code}`,
    transferType: 'in',
    transferAmount: amount,
    accumulated: rng.int(0, 1_000_000_000),
    subAccount: null,
    referenceCode: `FT${rng.int(10_000_000, 99_999_999)}`,
    description: 'fuzz transfer',
    ...overrides,
  });
  const text = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');
  /**
   * A valid transaction: it credits its order when incoming and naming the order's code (in
   * `code` or in the content), with `amount` (what its amount token says).
   */
  const pays = (
    kind: string,
    body: ReturnType<typeof payment>,
    raw: Buffer,
    keepsBytes = false,
    amount = body.transferAmount as number,
  ): FuzzBody => {
    const names = (order: FuzzOrder) =>
      body.code === order.code || (typeof body.content === 'string' && body.content.includes(order.code));
    const order = [...options.orders, ...options.starved].find(names);
    const credit = body.transferType === 'in' && order ? { pays: { code: order.code, amount } } : {};
    return { kind, raw, expect: 'payment', transactionId: body.id, keepsBytes, ...credit };
  };
  const rejected = (kind: string, raw: Buffer, keepsBytes = false): FuzzBody => ({
    kind,
    raw,
    expect: 'rejected',
    keepsBytes,
  });
  /** A JSON text with a number token (or any JSON text) where the marker string was. */
  const withToken = (value: unknown, token: string) =>
    Buffer.from(JSON.stringify(value).replace('"@@TOKEN@@"', token), 'utf8');

  function build(which: Case, order: FuzzOrder): FuzzBody {
    switch (which) {
      case 'exact':
        return built(which, payment(order, order.total));
      case 'partial':
        return built(which, payment(order, Math.floor(order.total * (0.1 + rng.next() * 0.5))));
      case 'over':
        return built(which, payment(order, order.total + rng.int(1, 100) * 1000));
      case 'unknownCode': {
        const code = `DH${rng.int(10, 99)}${String(nextId).padStart(10, '0')}`;
        return built(which, payment(order, order.total, { code, content: `Thanh toan ${code}` }));
      }
      case 'outgoing':
        return built(which, payment(order, order.total, { transferType: 'out' }));
      case 'exponentAmount': {
        const body = payment(order, order.total, { transferAmount: '@@TOKEN@@' });
        return pays(which, body, withToken(body, `${order.total / 1000}e3`), false, order.total);
      }
      case 'surrogates': {
        const lone = rng.pick(LONE);
        const field = rng.pick(['content', 'description', 'gateway', 'code', 'referenceCode']);
        const body = payment(order, order.total);
        const record = body as Record<string, unknown>;
        record[field] = `${String(record[field])}${lone}`;
        if (rng.chance(0.3)) record[`key${lone}`] = lone;
        return pays(which, body, text(body), true);
      }
      case 'nul':
        return built(
          which,
          payment(order, order.total, { description: `a\u0000b\u0000`, content: `\u0000${order.code}` }),
        );
      case 'bigPad': {
        const body = payment(order, order.total, { pad: '' });
        const room = options.maxBytes - text(body).length - rng.int(1, 64);
        const unit = rng.pick(['x', 'é', '😀', '\u0000']);
        const pad = unit.repeat(Math.floor(room / Buffer.byteLength(JSON.stringify(unit).slice(1, -1))));
        return built(which, { ...body, pad } as ReturnType<typeof payment>);
      }
      case 'deep': {
        // Up to about 9000 levels: the body stays under the size limit.
        const depth = rng.pick([31, 32, 33, 40, 100, 1000, rng.int(31, 9000)]);
        const body = payment(order, order.total, { extra: '@@TOKEN@@' });
        const nest = rng.chance(0.5) ? ['[', ']'] : ['{"a":', '}'];
        const token = `${nest[0]!.repeat(depth)}1${nest[1]!.repeat(depth)}`;
        return pays(which, body, withToken(body, token), true);
      }
      case 'repeatedExtra': {
        const body = payment(order, order.total);
        const raw = Buffer.from(
          JSON.stringify(body).replace('{', '{"note":"first","note":"second",'),
          'utf8',
        );
        return pays(which, body, raw, true);
      }
      case 'repeatedField': {
        const body = payment(order, order.total);
        const field = rng.pick(['transferAmount', 'code', 'id', 'transferType']);
        const first = JSON.stringify(field === 'transferAmount' ? 1 : field === 'id' ? nextId++ : 'x');
        return rejected(which, Buffer.from(JSON.stringify(body).replace('{', `{"${field}":${first},`)), true);
      }
      case 'badAmount': {
        const token = rng.pick([
          String(order.total + 0.5),
          String(-order.total),
          JSON.stringify(String(order.total)),
          '1e400',
          '-1e400',
          '1e300',
          String(MAX_TRANSFER_AMOUNT + 1),
          '12345678901234567890',
          'null',
          'true',
          '{}',
          `[${order.total}]`,
          '0.001',
        ]);
        const body = payment(order, order.total, { transferAmount: '@@TOKEN@@' });
        return rejected(which, withToken(body, token), /e400|12345678901234567890/.test(token));
      }
      case 'wrongTypes': {
        const bad = rng.pick<Record<string, unknown>>([
          { id: String(nextId) },
          { id: 1.5 },
          { id: 0 },
          { id: -5 },
          { id: 2 ** 53 + 2 },
          { transferType: 'IN' },
          { transactionDate: '2026-02-30 10:00:00' },
          { gateway: 'g'.repeat(101) },
          { content: 'c'.repeat(2001) },
          { code: 12345 },
          { accumulated: '1' },
          { subAccount: [] },
          { referenceCode: undefined },
        ]);
        return rejected(which, text(payment(order, order.total, bad)));
      }
      case 'lossyExtra': {
        const body = payment(order, order.total, { extra: '@@TOKEN@@' });
        return pays(which, body, withToken(body, rng.pick(LOSSY_EXTRA_TOKENS)), true);
      }
      case 'lossyField': {
        const [field, token] = rng.pick(lossyFieldTokens(order.total, nextId++));
        const body = payment(order, order.total, { [field]: '@@TOKEN@@' });
        return rejected(which, withToken(body, token), true);
      }
      case 'notAnObject':
        return rejected(
          which,
          Buffer.from(rng.pick(['[]', '"DH00000001"', '500000', 'null', 'true', '[{"id":1}]'])),
          true,
        );
      case 'notJson': {
        const raw = rng.pick([
          () => Buffer.from(JSON.stringify(payment(order, order.total)).slice(0, -1)),
          () => Buffer.from(`\ufeff${JSON.stringify(payment(order, order.total))}`),
          () => Buffer.from(`id=${nextId}&amount=${order.total}`),
          () => Buffer.from(Array.from({ length: rng.int(1, 200) }, () => rng.int(0, 255))),
          () => Buffer.from(''),
          () => Buffer.from("{'id': 1}"),
        ])();
        return rejected(which, raw, true);
      }
      case 'invalidUtf8': {
        const body = payment(order, order.total, { description: '@@BYTES@@' });
        const [before, after] = JSON.stringify(body).split('@@BYTES@@') as [string, string];
        const junk = Buffer.from(
          rng.pick([[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]]),
        );
        return pays(which, body, Buffer.concat([Buffer.from(before), junk, Buffer.from(after)]), true);
      }
      case 'tooLarge': {
        const body = payment(order, order.total, { pad: 'x'.repeat(options.maxBytes) });
        return { kind: which, raw: text(body), expect: 'too-large', keepsBytes: false };
      }
      case 'replay': {
        const earlier = sent.filter((body) => body.expect !== 'too-large');
        if (earlier.length === 0) return build('exact', order);
        return { ...rng.pick(earlier), replay: true, kind: 'replay' };
      }
    }
  }

  /** A body for an order that must stay unpaid; a valid transfer only while the sum stays short. */
  function starve(order: FuzzOrder): FuzzBody {
    const credit = starvedCredit.get(order.code) ?? 0;
    const amount = Math.floor(order.total * rng.next() * 0.3);
    if (rng.chance(0.2) && credit + amount < order.total) {
      starvedCredit.set(order.code, credit + amount);
      return built('starvedPartial', payment(order, amount));
    }
    const body = build(rng.pick(NEVER_PAYS), order);
    // A hostile body that is still a valid payment (surrogates) pays nothing here: it goes out.
    if (!body.pays) return body;
    return build('badAmount', order);
  }

  function built(kind: string, body: ReturnType<typeof payment>): FuzzBody {
    return pays(kind, body, text(body));
  }

  return {
    next(): FuzzBody {
      const body = rng.chance(0.25)
        ? starve(rng.pick(options.starved))
        : build(rng.weighted(CASES), rng.pick(options.orders));
      if (!body.replay) sent.push(body);
      return body;
    },
  };
}
