-- read-relationships: the viewer's relationship to each of a set of authors (the feed's relationship term).
--
-- Inputs
--   $1 text viewer id   $2 text[] author ids
-- Output
--   rows: author_id, follows (bool), likes (bigint, net likes of the author's posts, at least 0); only authors
--   the viewer follows or has liked
SELECT a.author_id,
       f.follower_id IS NOT NULL AS follows,
       greatest(0, coalesce(x.likes, 0)) AS likes
FROM unnest($2::text[]) AS a (author_id)
LEFT JOIN follows f ON f.follower_id = $1 AND f.followee_id = a.author_id
LEFT JOIN user_author_affinity x ON x.user_id = $1 AND x.author_id = a.author_id
WHERE f.follower_id IS NOT NULL OR x.likes > 0;
