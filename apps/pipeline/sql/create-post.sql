-- create-post: inserts a post unless its id is taken.
-- Inputs:  $1 text id, $2 text author id, $3 timestamptz created at
-- Output:  one row (id) when created, no row when the id already existed
INSERT INTO posts (id, author_id, created_at) VALUES ($1, $2, $3)
ON CONFLICT (id) DO NOTHING
RETURNING id;
