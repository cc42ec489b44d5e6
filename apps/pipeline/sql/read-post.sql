-- read-post: a post as the API serves it, read from the truth when Redis is unavailable.
-- Inputs:  $1 text post id, $2 text viewer's user id
-- Output:  zero or one row: id, author_id, created_at, like_count, liked_by_me boolean
SELECT p.id, p.author_id, p.created_at, p.like_count,
       EXISTS (SELECT 1 FROM likes l WHERE l.post_id = p.id AND l.user_id = $2) AS liked_by_me
FROM posts p
WHERE p.id = $1;
