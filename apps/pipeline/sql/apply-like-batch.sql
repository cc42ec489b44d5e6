-- apply-like-batch: applies one folded truth-writer batch (see planTruthBatch) in a single statement.
-- Runs inside the flush transaction, after lock-posts.sql has locked the touched posts in id order.
--
-- Inputs
--   $1 text[]         post ids of likes          $4 text[] post ids of unlikes
--   $2 text[]         user ids of likes          $5 text[] user ids of unlikes
--   $3 timestamptz[]  times of likes             $6 text[] posts whose events bypassed Redis
--   Each (post, user) pair appears in at most one of the two lists, at most once.
-- Output
--   one row per touched, existing post: id, delta (net change of like_count; 0 when nothing changed)
--
-- The delta counts only rows that really changed (the primary key dedups likes, DELETE ... RETURNING counts
-- unlikes), so a replayed batch adds 0. Each touched post's counter row is written exactly once.
WITH liked AS (
  INSERT INTO likes (post_id, user_id, created_at)
  SELECT l.post_id, l.user_id, l.at
  FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS l (post_id, user_id, at)
  JOIN posts p ON p.id = l.post_id
  ON CONFLICT (post_id, user_id) DO NOTHING
  RETURNING post_id
),
unliked AS (
  DELETE FROM likes
  USING unnest($4::text[], $5::text[]) AS u (post_id, user_id)
  WHERE likes.post_id = u.post_id AND likes.user_id = u.user_id
  RETURNING likes.post_id
),
touched AS (
  SELECT post_id, sum(d)::bigint AS delta
  FROM (
    SELECT post_id, 1 AS d FROM liked
    UNION ALL SELECT post_id, -1 FROM unliked
    UNION ALL SELECT unnest($1::text[] || $4::text[]), 0
  ) changes
  GROUP BY post_id
),
repairs AS (
  INSERT INTO redis_repairs (post_id, requested_at)
  SELECT DISTINCT b.post_id, now()
  FROM unnest($6::text[]) AS b (post_id)
  JOIN posts p ON p.id = b.post_id
  ON CONFLICT (post_id) DO UPDATE SET requested_at = EXCLUDED.requested_at
)
UPDATE posts
SET like_count = posts.like_count + touched.delta, last_liked_at = now()
FROM touched
WHERE posts.id = touched.post_id
RETURNING posts.id, touched.delta;
