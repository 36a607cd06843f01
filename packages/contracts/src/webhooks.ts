import { z } from 'zod';

/**
 * The largest transfer amount a payment row holds (DECIMAL(15,2): 13 digits before the point).
 * An amount beyond it, negative, or not a whole number of VND is refused: never applied.
 */
export const MAX_TRANSFER_AMOUNT = 9_999_999_999_999;

/**
 * The body SePay posts for each bank transaction.
 * See SePay's webhook documentation; amounts are in VND (integers).
 */
export const SepayTransaction = z.object({
  id: z.int().positive(),
  gateway: z.string().min(1).max(100),
  /** "YYYY-MM-DD HH:mm:ss", the bank's local time. */
  transactionDate: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, 'expected YYYY-MM-DD HH:mm:ss')
    .refine(isCalendarDateTime, 'not a real date and time'),
  accountNumber: z.string().max(100),
  code: z.string().max(100).nullable(),
  content: z.string().max(2000),
  transferType: z.enum(['in', 'out']),
  transferAmount: z.int().nonnegative().max(MAX_TRANSFER_AMOUNT),
  accumulated: z.number(),
  subAccount: z.string().max(100).nullable(),
  referenceCode: z.string().max(100),
  description: z.string().max(2000),
});
export type SepayTransaction = z.infer<typeof SepayTransaction>;

/** Whether "YYYY-MM-DD HH:mm:ss" names a moment that exists (no month 13, no 30 February). */
function isCalendarDateTime(text: string): boolean {
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = text.split(/[- :]/).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return (
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second
  );
}

/** The header carrying Paidflow's own HMAC signature: `t=<unix seconds>,v1=<hex>[,v1=<hex>]`. */
export const SIGNATURE_HEADER = 'paidflow-signature';
/** How far a signature's timestamp may be from now. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export const WebhookResponse = z.object({ success: z.boolean(), message: z.string().optional() });
export type WebhookResponse = z.infer<typeof WebhookResponse>;
