-- read-feed-candidates: the feed-ranker's bounded candidate set: the hottest posts by like velocity and the
-- newest posts, with what ranking needs.
--
-- Velocity is the sum of a post's per-minute buckets over the window (now - 10 min, now], the oldest bucket
-- weighted by the part of its minute inside the window (bucketWeight in packages/core/src/feed/feed-velocity.ts
-- is the reference), never below 0.
--
-- Inputs
--   $1 timestamptz now   $2 int how many hottest posts   $3 int how many newest posts
-- Output
--   rows: post_id, author_id, created_at (timestamptz), velocity (float8); at most $2 + $3 rows, in no order
WITH weighted AS (
  SELECT post_id,
         net * least(1, greatest(0,
           extract(epoch FROM (minute + interval '1 minute' - ($1::timestamptz - interval '10 minutes'))) / 60
         ))::float8 AS w
  FROM feed_velocity_minute
  WHERE minute > $1::timestamptz - interval '11 minutes'
),
velocity AS (
  SELECT post_id, sum(w) AS velocity FROM weighted GROUP BY post_id
),
hottest AS (
  SELECT post_id FROM velocity WHERE velocity > 0 ORDER BY velocity DESC, post_id LIMIT $2
),
newest AS (
  SELECT id AS post_id FROM posts ORDER BY created_at DESC LIMIT $3
)
SELECT p.id AS post_id, p.author_id, p.created_at, greatest(0, coalesce(v.velocity, 0))::float8 AS velocity
FROM (SELECT post_id FROM hottest UNION SELECT post_id FROM newest) c
JOIN posts p ON p.id = c.post_id
LEFT JOIN velocity v ON v.post_id = c.post_id;
