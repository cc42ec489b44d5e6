-- finish-notification-delivery: records the outcome of one push: delivered, or the time of the next attempt.
--
-- Inputs
--   $1 bigint notification id   $2 boolean delivered   $3 bigint delay before the next attempt, milliseconds
-- Output
--   none
UPDATE notifications
SET delivered_at = CASE WHEN $2 THEN now() ELSE NULL END,
    next_attempt_at = CASE WHEN $2 THEN next_attempt_at ELSE now() + make_interval(secs => $3 / 1000.0) END
WHERE id = $1;
