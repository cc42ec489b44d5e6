-- post-exists: whether a post exists (the degraded like path checks this when Redis cannot).
-- Inputs:  $1 text post id
-- Output:  one row: exists boolean
SELECT EXISTS (SELECT 1 FROM posts WHERE id = $1) AS exists;
