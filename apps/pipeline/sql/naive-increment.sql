-- naive-increment: step 2 of the naive baseline: the per-request counter update every like of a viral post
-- queues behind, since each holds the post's row lock until its transaction commits.
-- Inputs:  $1 text post id
-- Output:  like_count after the update
UPDATE posts SET like_count = like_count + 1 WHERE id = $1 RETURNING like_count;
