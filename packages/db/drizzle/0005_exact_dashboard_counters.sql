CREATE TABLE `order_status_counts` (
	`payment_status` enum('pending','paid','underpaid','refunded','failed','cancelled') NOT NULL,
	`order_status` enum('pending','processing','completed','partially_completed','failed','cancelled') NOT NULL,
	`slot` tinyint unsigned NOT NULL,
	`n` bigint NOT NULL DEFAULT 0,
	CONSTRAINT `order_status_counts_payment_status_order_status_slot_pk` PRIMARY KEY(`payment_status`,`order_status`,`slot`)
);--> statement-breakpoint
-- Decision 060: the triggers keep order_status_counts exact in the transaction of every insert,
-- status change and delete of an order, whoever writes it (the pipeline, the seed, a fixture, an
-- operator's SQL). An order counts in slot id % 32 (ORDER_COUNT_SLOTS), so concurrent payments
-- rarely update the same row. The two rows of a change are updated in primary key order (the
-- enums' index order), the order every writer of these rows takes, so that they never deadlock. A bulk writer may set
-- @paidflow_defer_order_counts and add its own totals in the same transaction (the seed does).
CREATE TRIGGER `orders_count_insert` AFTER INSERT ON `orders` FOR EACH ROW
IF @paidflow_defer_order_counts IS NULL THEN
  INSERT INTO `order_status_counts` (`payment_status`, `order_status`, `slot`, `n`) VALUES (NEW.`payment_status`, NEW.`order_status`, NEW.`id` % 32, 1) ON DUPLICATE KEY UPDATE `n` = `n` + VALUES(`n`);
END IF;
--> statement-breakpoint
CREATE TRIGGER `orders_count_update` AFTER UPDATE ON `orders` FOR EACH ROW
IF @paidflow_defer_order_counts IS NULL AND (OLD.`payment_status` <> NEW.`payment_status` OR OLD.`order_status` <> NEW.`order_status` OR OLD.`id` <> NEW.`id`) THEN
  IF (OLD.`payment_status` + 0) * 16 + (OLD.`order_status` + 0) < (NEW.`payment_status` + 0) * 16 + (NEW.`order_status` + 0) THEN
    INSERT INTO `order_status_counts` (`payment_status`, `order_status`, `slot`, `n`) VALUES (OLD.`payment_status`, OLD.`order_status`, OLD.`id` % 32, -1), (NEW.`payment_status`, NEW.`order_status`, NEW.`id` % 32, 1) ON DUPLICATE KEY UPDATE `n` = `n` + VALUES(`n`);
  ELSE
    INSERT INTO `order_status_counts` (`payment_status`, `order_status`, `slot`, `n`) VALUES (NEW.`payment_status`, NEW.`order_status`, NEW.`id` % 32, 1), (OLD.`payment_status`, OLD.`order_status`, OLD.`id` % 32, -1) ON DUPLICATE KEY UPDATE `n` = `n` + VALUES(`n`);
  END IF;
END IF;
--> statement-breakpoint
CREATE TRIGGER `orders_count_delete` AFTER DELETE ON `orders` FOR EACH ROW
IF @paidflow_defer_order_counts IS NULL THEN
  INSERT INTO `order_status_counts` (`payment_status`, `order_status`, `slot`, `n`) VALUES (OLD.`payment_status`, OLD.`order_status`, OLD.`id` % 32, -1) ON DUPLICATE KEY UPDATE `n` = `n` + VALUES(`n`);
END IF;
--> statement-breakpoint
-- The backfill: every (payment status, order status, slot) gets its row, set to the count of the
-- orders there. One INSERT ... SELECT, whose read of orders takes shared locks (REPEATABLE READ):
-- a writer racing the migration either committed before it (counted) or waits for it (then its
-- trigger adds to the exact figure). Every row exists from here on, so a trigger never inserts.
INSERT INTO `order_status_counts` (`payment_status`, `order_status`, `slot`, `n`)
SELECT g.`payment_status`, g.`order_status`, g.`slot`, COALESCE(c.`n`, 0)
FROM (
  SELECT p.v AS `payment_status`, o.v AS `order_status`, a.d * 8 + b.d AS `slot`
  FROM (SELECT 'pending' AS v UNION ALL SELECT 'paid' UNION ALL SELECT 'underpaid' UNION ALL SELECT 'refunded' UNION ALL SELECT 'failed' UNION ALL SELECT 'cancelled') p
  CROSS JOIN (SELECT 'pending' AS v UNION ALL SELECT 'processing' UNION ALL SELECT 'completed' UNION ALL SELECT 'partially_completed' UNION ALL SELECT 'failed' UNION ALL SELECT 'cancelled') o
  CROSS JOIN (SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3) a
  CROSS JOIN (SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7) b
) g
LEFT JOIN (
  SELECT `payment_status`, `order_status`, `id` % 32 AS `slot`, COUNT(*) AS `n`
  FROM `orders`
  GROUP BY `payment_status`, `order_status`, `id` % 32
) c ON c.`payment_status` = g.`payment_status` AND c.`order_status` = g.`order_status` AND c.`slot` = g.`slot`
ON DUPLICATE KEY UPDATE `n` = VALUES(`n`);
