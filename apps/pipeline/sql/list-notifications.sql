-- list-notifications: a recipient's notifications that still name someone, newest window first.
--
-- Inputs
--   $1 text recipient id   $2 integer limit
-- Output
--   rows: id, post_id, window_start, window_end, likers, delivered_at
SELECT id, post_id, window_start, window_end, likers, delivered_at
FROM notifications
WHERE recipient_id = $1 AND cardinality(likers) > 0
ORDER BY window_start DESC, id DESC
LIMIT $2;
