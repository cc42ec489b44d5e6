-- add-like-stats: adds one folded analytics batch (see foldMinuteStats) to the per-minute counters.
--
-- Inputs
--   $1 text[]         post ids        $3 bigint[] likes to add
--   $2 timestamptz[]  minutes         $4 bigint[] unlikes to add
--   Each (post, minute) appears once; the minutes are whole minutes.
-- Output
--   none
INSERT INTO like_stats_minute (post_id, minute, likes, unlikes)
SELECT s.post_id, s.minute, s.likes, s.unlikes
FROM unnest($1::text[], $2::timestamptz[], $3::bigint[], $4::bigint[]) AS s (post_id, minute, likes, unlikes)
ON CONFLICT (post_id, minute)
DO UPDATE SET likes = like_stats_minute.likes + EXCLUDED.likes,
              unlikes = like_stats_minute.unlikes + EXCLUDED.unlikes;
