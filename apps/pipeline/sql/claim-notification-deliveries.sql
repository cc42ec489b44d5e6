-- claim-notification-deliveries: takes up to $1 closed, undelivered notifications that are due, and pushes
-- their next attempt $2 ms out, so that another notifier replica (or this one, if it dies mid-delivery) only
-- retries them after that lease. Notifications nobody is left in are marked delivered without a push.
--
-- Inputs
--   $1 integer how many   $2 bigint lease in milliseconds
-- Output
--   rows: id, recipient_id, post_id, window_start, likers, delivery_attempts (after this claim)
WITH due AS (
  SELECT id FROM notifications
  WHERE delivered_at IS NULL AND next_attempt_at <= now() AND window_end <= now()
  ORDER BY next_attempt_at
  LIMIT $1
  FOR UPDATE SKIP LOCKED
)
UPDATE notifications AS n
SET next_attempt_at = now() + make_interval(secs => $2 / 1000.0),
    delivery_attempts = n.delivery_attempts + 1,
    delivered_at = CASE WHEN cardinality(n.likers) = 0 THEN now() END
FROM due
WHERE n.id = due.id
RETURNING n.id, n.recipient_id, n.post_id, n.window_start, n.likers, n.delivery_attempts;
