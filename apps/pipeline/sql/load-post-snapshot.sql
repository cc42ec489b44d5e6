-- load-post-snapshot: everything needed to (re)build a post's Redis state, read in one snapshot so the counter
-- and the likers agree.
-- Inputs:  $1 text post id
-- Output:  zero or one row: id, author_id, created_at, like_count, likers text[]
SELECT p.id, p.author_id, p.created_at, p.like_count,
       ARRAY (SELECT l.user_id FROM likes l WHERE l.post_id = p.id) AS likers
FROM posts p
WHERE p.id = $1;
