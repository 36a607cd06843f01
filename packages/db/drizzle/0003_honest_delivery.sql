CREATE TABLE `delivery_downloads` (
	`task_id` int unsigned NOT NULL,
	`file_key` char(64) NOT NULL,
	`file_path` varchar(1024) NOT NULL,
	`downloads` int unsigned NOT NULL DEFAULT 0,
	`bytes_sent` bigint unsigned NOT NULL DEFAULT 0,
	`last_download_at` datetime(3),
	CONSTRAINT `delivery_downloads_task_id_file_key_pk` PRIMARY KEY(`task_id`,`file_key`)
);
--> statement-breakpoint
CREATE TABLE `delivery_links` (
	`id` int unsigned AUTO_INCREMENT NOT NULL,
	`order_id` int unsigned NOT NULL,
	`nonce` char(22) NOT NULL,
	`expires_at` datetime(3) NOT NULL,
	`revoked_at` datetime(3),
	`revoked_by` varchar(255),
	`created_by` varchar(255) NOT NULL,
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`last_opened_on` date,
	CONSTRAINT `delivery_links_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
ALTER TABLE `order_audit_logs` MODIFY COLUMN `event_type` enum('order_created','payment_received','payment_underpaid','payment_refunded','payment_overpaid','payment_matched','payment_ignored','task_created','task_queued','task_requeued','enrollment_started','enrollment_success','enrollment_failed','download_started','download_completed','download_failed','download_retry_scheduled','upload_started','upload_completed','upload_failed','task_completed','task_failed','task_cancelled','task_retry_requested','task_cancel_requested','dead_letter_removed','order_completed','order_failed','notification_sent','notification_failed','admin_alert_sent','notification_resend_requested','delivery_link_issued','delivery_link_revoked','delivery_opened','priority_changed') NOT NULL;--> statement-breakpoint
ALTER TABLE `orders` MODIFY COLUMN `order_status` enum('pending','processing','completed','partially_completed','failed','cancelled') NOT NULL DEFAULT 'pending';--> statement-breakpoint
ALTER TABLE `payment_transactions` MODIFY COLUMN `status` enum('received','applied','overpaid','underpaid','unmatched','ignored','refunded','rejected') NOT NULL DEFAULT 'received';--> statement-breakpoint
ALTER TABLE `download_tasks` ADD `delivered_files` json;--> statement-breakpoint
ALTER TABLE `orders` ADD `priority` enum('normal','vip') DEFAULT 'normal' NOT NULL;--> statement-breakpoint
ALTER TABLE `payment_transactions` ADD `gateway` varchar(100);--> statement-breakpoint
ALTER TABLE `payment_transactions` ADD `reference_code` varchar(100);--> statement-breakpoint
ALTER TABLE `payment_transactions` ADD `content` varchar(1000);--> statement-breakpoint
ALTER TABLE `payment_transactions` ADD `resolved_by` varchar(255);--> statement-breakpoint
ALTER TABLE `payment_transactions` ADD `resolved_at` datetime(3);--> statement-breakpoint
ALTER TABLE `payment_transactions` ADD `note` varchar(1000);--> statement-breakpoint
ALTER TABLE `delivery_downloads` ADD CONSTRAINT `delivery_downloads_task_id_download_tasks_id_fk` FOREIGN KEY (`task_id`) REFERENCES `download_tasks`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `delivery_links` ADD CONSTRAINT `delivery_links_order_id_orders_id_fk` FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX `idx_delivery_links_order` ON `delivery_links` (`order_id`,`id`);--> statement-breakpoint
CREATE INDEX `idx_payment_received` ON `payment_transactions` (`received_at`,`id`);--> statement-breakpoint
CREATE INDEX `idx_payment_status_received` ON `payment_transactions` (`status`,`received_at`,`id`);--> statement-breakpoint
UPDATE `payment_transactions` SET `gateway` = LEFT(JSON_VALUE(`raw_payload`, '$.gateway'), 100), `reference_code` = LEFT(JSON_VALUE(`raw_payload`, '$.referenceCode'), 100), `content` = LEFT(JSON_VALUE(`raw_payload`, '$.content'), 1000) WHERE `gateway` IS NULL;--> statement-breakpoint
UPDATE `orders` SET `order_status` = 'partially_completed' WHERE `order_status` = 'failed' AND `completed_tasks` > 0;
