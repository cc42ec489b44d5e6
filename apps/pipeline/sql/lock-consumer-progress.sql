-- lock-consumer-progress: how far a consumer group has applied one partition, with the row locked for this
-- transaction (two members that briefly both hold the partition during a rebalance apply one after the
-- other). The no-op DO UPDATE is what locks an existing row and returns it in the same statement.
--
-- Inputs
--   $1 text     consumer group        $2 text topic        $3 integer partition
-- Output
--   one row: next_offset (bigint) — the first offset not yet applied; 0 for a partition never seen
INSERT INTO consumer_progress AS p (group_id, topic, partition, next_offset)
VALUES ($1, $2, $3, 0)
ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = p.next_offset
RETURNING next_offset;
