-- add-feed-velocity: adds one folded feed-ranker batch (see foldFeedEvents) to the velocity buckets.
--
-- Inputs
--   $1 text[] post ids   $2 timestamptz[] minutes (whole minutes)   $3 bigint[] net likes to add
--   Each (post, minute) appears once.
-- Output
--   none
INSERT INTO feed_velocity_minute (post_id, minute, net)
SELECT d.post_id, d.minute, d.net
FROM unnest($1::text[], $2::timestamptz[], $3::bigint[]) AS d (post_id, minute, net)
ON CONFLICT (post_id, minute)
DO UPDATE SET net = feed_velocity_minute.net + EXCLUDED.net;
