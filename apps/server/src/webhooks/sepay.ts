import type { IncomingMessage } from 'node:http';
import {
  SepayTransaction,
  SIGNATURE_HEADER,
  SIGNATURE_TOLERANCE_SECONDS,
  type WebhookResponse,
} from '@paidflow/contracts';
import type { AppDeps } from '../deps.ts';
import { AppError, HTTP_STATUS, toAppError } from '../errors.ts';
import { type Route, readBody, sendJson } from '../http.ts';
import type { PaymentOutcome } from '../services/payment-settle.ts';
import { receivePayment, rejectPayment } from '../services/payments.ts';
import { bodyKey, readWebhookBody } from './body.ts';
import { authenticateWebhook } from './signature.ts';

export const WEBHOOK_PATH = '/webhooks/payment';

/** Webhook bodies are small JSON objects; anything bigger is refused before it is parsed. */
const MAX_WEBHOOK_BYTES = 64 * 1024;

const AUTH_MESSAGES = {
  missing: 'missing authentication: send a Paidflow-Signature header (or Authorization: Apikey)',
  malformed: 'malformed Paidflow-Signature header: expected t=<unix seconds>,v1=<hex>',
  mismatch: 'signature does not match',
  stale: `signature timestamp is more than ${SIGNATURE_TOLERANCE_SECONDS} s away from the server's clock`,
} as const;

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** Zod issues as one line naming each field: "transferAmount: expected number, received string". */
function describeIssues(error: { issues: Array<{ path: PropertyKey[]; message: string }> }): string {
  return error.issues
    .slice(0, 10)
    .map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`)
    .join('; ');
}

/**
 * The status code and body for each outcome of a verified delivery. Every stored transfer is a
 * delivery that succeeded (200): an unmatched or underpaid one waits in the payments inbox, and a
 * retry could not match it (decision 045).
 */
function outcomeResponse(outcome: PaymentOutcome): [number, WebhookResponse] {
  switch (outcome.kind) {
    case 'applied':
      return outcome.paid > outcome.total
        ? [
            200,
            { success: true, message: `applied; overpaid by ${roundCents(outcome.paid - outcome.total)}` },
          ]
        : [200, { success: true }];
    case 'rejected':
      // Stored, and the same bytes can never become valid: a 2xx stops the provider's retries.
      return [200, { success: false, message: `recorded as rejected: ${outcome.reason}` }];
    case 'duplicate':
      // A rejected body stays rejected, however often it comes.
      return [
        200,
        { success: outcome.status !== 'rejected', message: `duplicate delivery (already ${outcome.status})` },
      ];
    case 'ignored':
      return [200, { success: true, message: `recorded and ignored: ${outcome.reason}` }];
    case 'unmatched':
      return [200, { success: true, message: `recorded for review, no matching order: ${outcome.reason}` }];
    case 'underpaid':
      return [
        200,
        {
          success: true,
          message: `recorded as underpaid: ${outcome.paid} of the order total ${outcome.total} paid`,
        },
      ];
  }
}

/**
 * Stores a verified body, whatever it holds (docs/webhooks.md): a valid transaction is received
 * and settled; anything else is stored as rejected under the hash of its bytes.
 */
async function storeBody(deps: AppDeps, raw: Buffer): Promise<PaymentOutcome> {
  const body = readWebhookBody(raw);
  // `unreadable`: fields whose parsed value is not what was sent; the stored row shows none of them.
  const reject = (reason: string, unreadable: string[] = []) =>
    rejectPayment(deps, {
      key: bodyKey(raw),
      reason,
      value: body.kind === 'json' ? withoutKeys(body.value, unreadable) : null,
      payload: body.payload,
      rawBody: body.rawBody,
    });
  if (body.kind === 'unparsed') return reject(body.reason);
  const parsed = SepayTransaction.safeParse(body.value);
  if (!parsed.success) return reject(`invalid transaction: ${describeIssues(parsed.error)}`);
  // Two values for one field of the contract: parsers disagree on which counts, so neither does.
  const repeated = body.repeatedTopLevelKeys.filter((key) => Object.hasOwn(SepayTransaction.shape, key));
  if (repeated.length > 0)
    return reject(`ambiguous transaction: ${repeated.join(', ')} given more than once`);
  // A number JSON.parse rounded (500000.0000000000000001 read as 500000, 12.0000000000000001 as
  // transaction 12): the parsed value is not what was sent, so it is never applied.
  const lossy = body.lossyTopLevelKeys.filter((key) => Object.hasOwn(SepayTransaction.shape, key));
  if (lossy.length > 0)
    return reject(`imprecise transaction: ${lossy.join(', ')} not exactly representable as a number`, lossy);
  if (body.rawBody) {
    deps.logger.info(
      { transactionId: parsed.data.id, issues: body.issues },
      'webhook body kept as raw bytes',
    );
  }
  return receivePayment(deps, parsed.data, body);
}

function withoutKeys(value: unknown, keys: string[]): unknown {
  if (keys.length === 0 || typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !keys.includes(key)));
}

function roundCents(amount: number): number {
  return Math.round(amount * 100) / 100;
}

/**
 * POST /webhooks/payment: SePay's transaction, authenticated by Paidflow's HMAC signature or by
 * SePay's API key. Every authenticated body is stored, whatever its bytes, and answered 200:
 * applied, repeated, ignored, the unmatched or underpaid ones the payments inbox holds, and the
 * rejected ones (`success: false`, with the reason). 401 without valid authentication, 413 for a
 * body too large, 503 when MySQL is unreachable so that the provider retries.
 */
export function sepayWebhookRoute(deps: AppDeps): Route {
  const { logger, env } = deps;
  return {
    method: 'POST',
    path: WEBHOOK_PATH,
    async handler(req, res) {
      let raw: Buffer;
      try {
        raw = await readBody(req, MAX_WEBHOOK_BYTES);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        logger.warn({ reason: error.message }, 'webhook rejected: body too large');
        res.setHeader('connection', 'close');
        return sendJson(res, 413, { success: false, message: error.message });
      }
      const auth = authenticateWebhook({
        signatureHeader: header(req, SIGNATURE_HEADER),
        authorizationHeader: header(req, 'authorization'),
        rawBody: raw,
        secrets: env.WEBHOOK_SECRETS,
        apiKey: env.SEPAY_API_KEY,
      });
      if (!auth.ok) {
        // Neither the secret nor the signature ever reaches the log: only why it failed.
        logger.warn(
          { reason: auth.reason, ip: req.socket.remoteAddress },
          'webhook rejected: authentication',
        );
        return sendJson(res, 401, { success: false, message: AUTH_MESSAGES[auth.reason] });
      }
      try {
        const [status, body] = outcomeResponse(await storeBody(deps, raw));
        return sendJson(res, status, body);
      } catch (error) {
        const mapped = toAppError(error);
        if (mapped?.code !== 'UNAVAILABLE') throw error;
        logger.warn({ err: error }, 'webhook deferred: MySQL unavailable');
        // The provider retries a 503 until the database is back.
        return sendJson(res, HTTP_STATUS.UNAVAILABLE, {
          success: false,
          message: 'database unavailable; retry later',
        });
      }
    },
  };
}
