-- remove-notification-likers: takes likers back out of their posts' notification windows (an unlike inside
-- the window the like fell in). Rows that do not exist, and likers not in them, are left alone.
--
-- Inputs
--   $1 text[] post ids   $2 timestamptz[] window starts   $3 text[] user ids
-- Output
--   none
UPDATE notifications AS n
SET likers = ARRAY(SELECT u FROM unnest(n.likers) WITH ORDINALITY AS t (u, ord) WHERE u <> ALL (r.users) ORDER BY ord),
    -- liked_at runs parallel to likers (shorter for rows older than it: those have no times to keep).
    liked_at = ARRAY(
      SELECT at FROM unnest(n.likers, n.liked_at) WITH ORDINALITY AS t (u, at, ord)
      WHERE u <> ALL (r.users) AND at IS NOT NULL ORDER BY ord
    ),
    updated_at = now()
FROM (
  SELECT post_id, window_start, array_agg(user_id) AS users
  FROM unnest($1::text[], $2::timestamptz[], $3::text[]) AS i (post_id, window_start, user_id)
  GROUP BY post_id, window_start
) AS r
WHERE n.post_id = r.post_id AND n.window_start = r.window_start AND n.likers && r.users;
