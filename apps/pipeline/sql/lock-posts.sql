-- lock-posts: locks the posts a flush will touch, in id order.
-- Two truth-writer replicas share hot posts (a post's events spread over partitions); taking the row locks in
-- one global order means their transactions queue instead of deadlocking.
-- Inputs:  $1 text[] post ids
-- Output:  the ids of the posts that exist
SELECT id FROM posts WHERE id = ANY ($1::text[]) ORDER BY id FOR NO KEY UPDATE;
