-- prune-feed-velocity: drops velocity buckets no window can reach any more.
--
-- Inputs
--   $1 timestamptz buckets starting before this go
-- Output
--   none (rowCount: buckets removed)
DELETE FROM feed_velocity_minute WHERE minute < $1;
