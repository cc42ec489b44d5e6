-- add-user-affinity: adds net likes per (user, post) to the user's affinity for the post's author.
--
-- Inputs
--   $1 text[] user ids   $2 text[] post ids   $3 bigint[] net likes to add (each (user, post) once)
-- Output
--   none. Likes of one's own posts and of posts that do not exist are left out.
INSERT INTO user_author_affinity (user_id, author_id, likes)
SELECT d.user_id, p.author_id, sum(d.net)
FROM unnest($1::text[], $2::text[], $3::bigint[]) AS d (user_id, post_id, net)
JOIN posts p ON p.id = d.post_id
WHERE p.author_id <> d.user_id
GROUP BY d.user_id, p.author_id
ON CONFLICT (user_id, author_id)
DO UPDATE SET likes = user_author_affinity.likes + EXCLUDED.likes;
