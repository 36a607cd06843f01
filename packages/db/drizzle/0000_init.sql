CREATE TABLE `admin_sessions` (
	`token_hash` char(64) NOT NULL,
	`user_id` int unsigned NOT NULL,
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`expires_at` datetime(3) NOT NULL,
	CONSTRAINT `admin_sessions_token_hash` PRIMARY KEY(`token_hash`)
);
--> statement-breakpoint
CREATE TABLE `admin_users` (
	`id` int unsigned AUTO_INCREMENT NOT NULL,
	`email` varchar(255) NOT NULL,
	`password_hash` varchar(255) NOT NULL,
	`role` enum('viewer','operator') NOT NULL DEFAULT 'viewer',
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`updated_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`last_login_at` datetime(3),
	CONSTRAINT `admin_users_id` PRIMARY KEY(`id`),
	CONSTRAINT `uq_admin_users_email` UNIQUE(`email`)
);
--> statement-breakpoint
CREATE TABLE `download_tasks` (
	`id` int unsigned AUTO_INCREMENT NOT NULL,
	`order_id` int unsigned NOT NULL,
	`title` varchar(255) NOT NULL,
	`course_url` varchar(2048) NOT NULL,
	`status` enum('pending','queued','enrolled','downloading','uploading','completed','failed','cancelled') NOT NULL DEFAULT 'pending',
	`progress` tinyint unsigned NOT NULL DEFAULT 0,
	`current_file` varchar(512),
	`error_log` json,
	`drive_link` varchar(2048),
	`attempts` smallint unsigned NOT NULL DEFAULT 0,
	`queue_generation` smallint unsigned NOT NULL DEFAULT 0,
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`updated_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`started_at` datetime(3),
	`completed_at` datetime(3),
	CONSTRAINT `download_tasks_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE TABLE `order_audit_logs` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`order_id` int unsigned NOT NULL,
	`task_id` int unsigned,
	`event_type` enum('order_created','payment_received','payment_underpaid','payment_refunded','task_created','task_queued','task_requeued','enrollment_started','enrollment_success','enrollment_failed','download_started','download_completed','download_failed','download_retry_scheduled','upload_started','upload_completed','upload_failed','task_completed','task_failed','task_cancelled','task_retry_requested','task_cancel_requested','dead_letter_removed','order_completed','order_failed','notification_sent','notification_failed','admin_alert_sent') NOT NULL,
	`event_category` enum('payment','enrollment','download','notification','system') NOT NULL,
	`severity` enum('info','warning','error','critical') NOT NULL DEFAULT 'info',
	`message` text NOT NULL,
	`details` json,
	`previous_status` varchar(50),
	`new_status` varchar(50),
	`source` varchar(50) NOT NULL,
	`error_type` enum('DISK_SPACE','AUTHENTICATION','TIMEOUT','NETWORK','PERMISSION','NOT_FOUND','UNKNOWN'),
	`dedupe_key` varchar(191),
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `order_audit_logs_id` PRIMARY KEY(`id`),
	CONSTRAINT `uq_audit_dedupe` UNIQUE(`dedupe_key`)
);
--> statement-breakpoint
CREATE TABLE `orders` (
	`id` int unsigned AUTO_INCREMENT NOT NULL,
	`order_code` varchar(32) NOT NULL,
	`user_email` varchar(255) NOT NULL,
	`payment_status` enum('pending','paid','underpaid','refunded','failed','cancelled') NOT NULL DEFAULT 'pending',
	`order_status` enum('pending','processing','completed','failed','cancelled') NOT NULL DEFAULT 'pending',
	`total_amount` decimal(15,2) NOT NULL,
	`currency` char(3) NOT NULL DEFAULT 'VND',
	`total_tasks` smallint unsigned NOT NULL DEFAULT 0,
	`completed_tasks` smallint unsigned NOT NULL DEFAULT 0,
	`failed_tasks` smallint unsigned NOT NULL DEFAULT 0,
	`cancelled_tasks` smallint unsigned NOT NULL DEFAULT 0,
	`active_tasks` smallint unsigned NOT NULL DEFAULT 0,
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`updated_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`paid_at` datetime(3),
	`completed_at` datetime(3),
	CONSTRAINT `orders_id` PRIMARY KEY(`id`),
	CONSTRAINT `uq_orders_order_code` UNIQUE(`order_code`)
);
--> statement-breakpoint
CREATE TABLE `outbox` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`topic` varchar(64) NOT NULL,
	`payload` json NOT NULL,
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`dispatched_at` datetime(3),
	`attempts` int unsigned NOT NULL DEFAULT 0,
	`last_error` varchar(1000),
	CONSTRAINT `outbox_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE TABLE `payment_transactions` (
	`id` int unsigned AUTO_INCREMENT NOT NULL,
	`provider` varchar(32) NOT NULL,
	`provider_transaction_id` varchar(64) NOT NULL,
	`order_id` int unsigned,
	`amount` decimal(15,2) NOT NULL,
	`transfer_type` varchar(8) NOT NULL,
	`status` enum('received','applied','underpaid','unmatched','ignored','rejected') NOT NULL DEFAULT 'received',
	`status_reason` varchar(255),
	`raw_payload` json NOT NULL,
	`received_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`processed_at` datetime(3),
	CONSTRAINT `payment_transactions_id` PRIMARY KEY(`id`),
	CONSTRAINT `uq_payment_provider_txn` UNIQUE(`provider`,`provider_transaction_id`)
);
--> statement-breakpoint
ALTER TABLE `admin_sessions` ADD CONSTRAINT `admin_sessions_user_id_admin_users_id_fk` FOREIGN KEY (`user_id`) REFERENCES `admin_users`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `download_tasks` ADD CONSTRAINT `download_tasks_order_id_orders_id_fk` FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `order_audit_logs` ADD CONSTRAINT `order_audit_logs_order_id_orders_id_fk` FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `order_audit_logs` ADD CONSTRAINT `order_audit_logs_task_id_download_tasks_id_fk` FOREIGN KEY (`task_id`) REFERENCES `download_tasks`(`id`) ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `payment_transactions` ADD CONSTRAINT `payment_transactions_order_id_orders_id_fk` FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX `idx_sessions_user` ON `admin_sessions` (`user_id`);--> statement-breakpoint
CREATE INDEX `idx_sessions_expires` ON `admin_sessions` (`expires_at`);--> statement-breakpoint
CREATE INDEX `idx_tasks_order` ON `download_tasks` (`order_id`,`id`);--> statement-breakpoint
CREATE INDEX `idx_tasks_status_updated` ON `download_tasks` (`status`,`updated_at`);--> statement-breakpoint
CREATE INDEX `idx_audit_order` ON `order_audit_logs` (`order_id`,`id`);--> statement-breakpoint
CREATE INDEX `idx_audit_order_severity` ON `order_audit_logs` (`order_id`,`severity`,`id`);--> statement-breakpoint
CREATE INDEX `idx_audit_order_category` ON `order_audit_logs` (`order_id`,`event_category`,`id`);--> statement-breakpoint
CREATE INDEX `idx_audit_task` ON `order_audit_logs` (`task_id`,`id`);--> statement-breakpoint
CREATE INDEX `idx_audit_severity` ON `order_audit_logs` (`severity`,`id`);--> statement-breakpoint
CREATE INDEX `idx_audit_event_type` ON `order_audit_logs` (`event_type`);--> statement-breakpoint
CREATE INDEX `idx_orders_payment_created` ON `orders` (`payment_status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `idx_orders_payment_status_created` ON `orders` (`payment_status`,`order_status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `idx_orders_email_created` ON `orders` (`user_email`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `idx_outbox_pending` ON `outbox` (`dispatched_at`,`id`);--> statement-breakpoint
CREATE INDEX `idx_payment_order` ON `payment_transactions` (`order_id`);