-- read-like-stats: a post's per-minute series in [from, to).
--
-- Inputs
--   $1 text post id   $2 timestamptz from (inclusive)   $3 timestamptz to (exclusive)
-- Output
--   rows: minute (timestamptz), likes (bigint), unlikes (bigint), oldest first; minutes with no activity
--   have no row
SELECT minute, likes, unlikes
FROM like_stats_minute
WHERE post_id = $1 AND minute >= $2 AND minute < $3
ORDER BY minute;
