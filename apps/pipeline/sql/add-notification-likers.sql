-- add-notification-likers: adds likers to their posts' notification windows (see planNotifications).
-- A liker already in the window stays where they are; new ones go to the front (newest first). Likes by a
-- post's own author, and likes of posts that do not exist, are dropped.
--
-- Inputs
--   $1 text[]         post ids         $3 text[]  user ids (each (post, window, user) at most once)
--   $2 timestamptz[]  window starts    $4 bigint  window length in milliseconds
-- Output
--   none
WITH input AS (
  SELECT i.post_id, i.window_start, i.user_id, i.ord, p.author_id
  FROM unnest($1::text[], $2::timestamptz[], $3::text[]) WITH ORDINALITY AS i (post_id, window_start, user_id, ord)
  JOIN posts p ON p.id = i.post_id
  WHERE i.user_id <> p.author_id
),
grouped AS (
  SELECT post_id, window_start, author_id, array_agg(user_id ORDER BY ord DESC) AS users
  FROM input
  GROUP BY post_id, window_start, author_id
)
INSERT INTO notifications AS n (recipient_id, post_id, window_start, window_end, likers, next_attempt_at)
SELECT author_id, post_id, window_start, window_start + make_interval(secs => $4 / 1000.0), users,
       window_start + make_interval(secs => $4 / 1000.0)
FROM grouped
ON CONFLICT (post_id, window_start) DO UPDATE
SET likers = ARRAY(
      SELECT u FROM unnest(EXCLUDED.likers) AS u WHERE u <> ALL (n.likers)
    ) || n.likers,
    updated_at = now();
