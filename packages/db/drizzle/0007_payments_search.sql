-- Decision 064: the payments inbox's search reads an index per thing an operator may have in hand.
CREATE INDEX `idx_payment_reference` ON `payment_transactions` (`reference_code`,`received_at`,`id`);--> statement-breakpoint
CREATE INDEX `idx_payment_amount` ON `payment_transactions` (`amount`,`received_at`,`id`);--> statement-breakpoint
-- Not in schema.ts (drizzle-kit has no FULLTEXT for MySQL): the content's words, by their start.
-- The table's first FULLTEXT index rebuilds it once, blocking writes to it meanwhile (seconds per
-- 100k transfers): the webhook answers 5xx and SePay retries.
CREATE FULLTEXT INDEX `ftx_payment_content` ON `payment_transactions` (`content`);
