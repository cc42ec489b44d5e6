-- naive-like: the baseline the benchmark compares against (the hot-row problem), never used by the pipeline:
-- one likes row and one counter update per request, in one transaction.
-- Inputs:  $1 text post id, $2 text user id
-- Output:  like_count after the update
WITH ins AS (
  INSERT INTO likes (post_id, user_id, created_at) VALUES ($1, $2, now())
  ON CONFLICT (post_id, user_id) DO NOTHING
  RETURNING post_id
)
UPDATE posts SET like_count = like_count + (SELECT count(*) FROM ins)
WHERE id = $1
RETURNING like_count;
