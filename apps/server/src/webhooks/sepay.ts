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
import { type PaymentOutcome, receivePayment } from '../services/payments.ts';
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
    case 'duplicate':
      return [200, { success: true, message: `duplicate delivery (already ${outcome.status})` }];
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

function roundCents(amount: number): number {
  return Math.round(amount * 100) / 100;
}

/**
 * POST /webhooks/payment: SePay's transaction, authenticated by Paidflow's HMAC signature or by
 * SePay's API key. Answers 200 for every stored transfer (applied, repeated, ignored, and the
 * unmatched or underpaid ones the payments inbox holds), 400 for a malformed body, 401 without
 * valid authentication, 413 for a body too large, 503 when MySQL is unreachable so that the
 * provider retries.
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
      let json: unknown;
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch (error) {
        const message = `body is not valid JSON: ${(error as Error).message}`;
        logger.info({ message }, 'webhook rejected: malformed body');
        return sendJson(res, 400, { success: false, message });
      }
      const parsed = SepayTransaction.safeParse(json);
      if (!parsed.success) {
        const message = `invalid transaction: ${describeIssues(parsed.error)}`;
        logger.info({ message }, 'webhook rejected: malformed body');
        return sendJson(res, 400, { success: false, message });
      }
      try {
        const [status, body] = outcomeResponse(await receivePayment(deps, parsed.data, json));
        return sendJson(res, status, body);
      } catch (error) {
        const mapped = toAppError(error);
        if (mapped?.code !== 'UNAVAILABLE') throw error;
        logger.warn({ err: error, transactionId: parsed.data.id }, 'webhook deferred: MySQL unavailable');
        // The provider retries a 503 until the database is back.
        return sendJson(res, HTTP_STATUS.UNAVAILABLE, {
          success: false,
          message: 'database unavailable; retry later',
        });
      }
    },
  };
}
