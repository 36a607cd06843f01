-- Decision 063. Each index is replaced in one ALTER TABLE (drop and add together), so no query
-- ever runs between a drop and its replacement without the index.
ALTER TABLE `orders` DROP INDEX `idx_orders_payment_created`, ADD INDEX `idx_orders_payment_created` (`payment_status`,`created_at`,`id`,`order_code`,`user_email`), DROP INDEX `idx_orders_email_created`, ADD INDEX `idx_orders_email_created` (`user_email`,`created_at`,`id`,`payment_status`);--> statement-breakpoint
ALTER TABLE `order_audit_logs` DROP INDEX `idx_audit_severity_created`, ADD INDEX `idx_audit_severity_created` (`severity`,`created_at`,`id`,`error_type`,`order_id`);--> statement-breakpoint
CREATE INDEX `idx_alerts_kind_raised` ON `alerts` (`kind`,`raised_at`,`id`);
