-- unfollow: the follower stops following the followee (idempotent).
--
-- Inputs
--   $1 text follower id   $2 text followee id
-- Output
--   one row when a follow was removed, none when there was none
DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2
RETURNING 1 AS removed;
