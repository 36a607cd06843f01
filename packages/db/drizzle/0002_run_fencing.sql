ALTER TABLE `order_audit_logs` MODIFY COLUMN `error_type` enum('DISK_SPACE','AUTHENTICATION','TIMEOUT','NETWORK','PERMISSION','NOT_FOUND','UNKNOWN','WORKER_LOST');--> statement-breakpoint
ALTER TABLE `download_tasks` ADD `run_token` int unsigned DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `download_tasks` ADD `run_attempt` smallint unsigned;