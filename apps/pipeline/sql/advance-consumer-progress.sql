-- advance-consumer-progress: records that a consumer group has applied a partition up to (not including)
-- an offset. Never moves backwards.
--
-- Inputs
--   $1 text consumer group   $2 text topic   $3 integer partition   $4 bigint next offset
-- Output
--   none
INSERT INTO consumer_progress (group_id, topic, partition, next_offset)
VALUES ($1, $2, $3, $4)
ON CONFLICT (group_id, topic, partition)
DO UPDATE SET next_offset = greatest(consumer_progress.next_offset, EXCLUDED.next_offset);
