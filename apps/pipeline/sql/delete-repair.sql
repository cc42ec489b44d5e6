-- delete-repair: drains a post from the repair queue, unless it was queued again after we read it.
-- Inputs:  $1 text post id, $2 timestamptz requested_at as read
-- Output:  none
DELETE FROM redis_repairs WHERE post_id = $1 AND requested_at <= $2;
