CREATE TABLE `alerts` (
	`id` int unsigned AUTO_INCREMENT NOT NULL,
	`kind` varchar(64) NOT NULL,
	`subject` varchar(191) NOT NULL,
	`open_key` varchar(255),
	`severity` enum('info','warning','error','critical') NOT NULL DEFAULT 'warning',
	`message` varchar(1000) NOT NULL,
	`details` json,
	`raised_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`last_seen_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`last_notified_at` datetime(3),
	`reminders` int unsigned NOT NULL DEFAULT 0,
	`resolved_at` datetime(3),
	CONSTRAINT `alerts_id` PRIMARY KEY(`id`),
	CONSTRAINT `uq_alerts_open` UNIQUE(`open_key`)
);
--> statement-breakpoint
CREATE TABLE `audit_archive_orders` (
	`order_id` int unsigned NOT NULL,
	`archive_id` int unsigned NOT NULL,
	`events` int unsigned NOT NULL,
	`oldest_at` datetime(3) NOT NULL,
	`newest_at` datetime(3) NOT NULL,
	CONSTRAINT `audit_archive_orders_order_id_archive_id_pk` PRIMARY KEY(`order_id`,`archive_id`)
);
--> statement-breakpoint
CREATE TABLE `audit_archives` (
	`id` int unsigned AUTO_INCREMENT NOT NULL,
	`file` varchar(1024) NOT NULL,
	`cutoff_at` datetime(3) NOT NULL,
	`first_audit_id` bigint unsigned NOT NULL,
	`last_audit_id` bigint unsigned NOT NULL,
	`row_count` int unsigned NOT NULL,
	`bytes` bigint unsigned NOT NULL DEFAULT 0,
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `audit_archives_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
ALTER TABLE `payment_transactions` ADD `raw_body` mediumblob;--> statement-breakpoint
ALTER TABLE `audit_archive_orders` ADD CONSTRAINT `audit_archive_orders_order_id_orders_id_fk` FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `audit_archive_orders` ADD CONSTRAINT `audit_archive_orders_archive_id_audit_archives_id_fk` FOREIGN KEY (`archive_id`) REFERENCES `audit_archives`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX `idx_alerts_raised` ON `alerts` (`raised_at`,`id`);--> statement-breakpoint
CREATE INDEX `idx_alerts_resolved` ON `alerts` (`resolved_at`,`id`);--> statement-breakpoint
CREATE INDEX `idx_audit_archives_created` ON `audit_archives` (`created_at`,`id`);