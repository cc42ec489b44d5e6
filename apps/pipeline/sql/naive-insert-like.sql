-- naive-insert-like: step 1 of the benchmark's naive baseline (the hot-row problem this project avoids); never
-- used by the pipeline. Runs in the same transaction as naive-increment.sql.
-- Inputs:  $1 text post id, $2 text user id
-- Output:  one row when the like is new, none when the user already liked the post
INSERT INTO likes (post_id, user_id, created_at) VALUES ($1, $2, now())
ON CONFLICT (post_id, user_id) DO NOTHING
RETURNING post_id;
