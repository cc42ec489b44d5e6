-- follow: the follower follows the followee (idempotent).
--
-- Inputs
--   $1 text follower id   $2 text followee id   $3 timestamptz when
-- Output
--   one row when the follow is new, none when it already existed
INSERT INTO follows (follower_id, followee_id, created_at)
VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING
RETURNING 1 AS added;
