-- add-notification-likers: adds likers to their posts' notification windows (see planNotifications), keeping
-- `likers` newest first by the time each like was accepted (`liked_at`, parallel to it). A liker already in the
-- window keeps their time and place. Likes by a post's own author, and likes of posts that do not exist, are
-- dropped.
--
-- Inputs
--   $1 text[]         post ids         $3 text[]         user ids (each (post, window, user) at most once)
--   $2 timestamptz[]  window starts    $4 timestamptz[]  when each like was accepted
--   $5 bigint         window length in milliseconds
-- Output
--   none
WITH input AS (
  SELECT i.post_id, i.window_start, i.user_id, i.at, p.author_id
  FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::timestamptz[]) AS i (post_id, window_start, user_id, at)
  JOIN posts p ON p.id = i.post_id
  WHERE i.user_id <> p.author_id
),
grouped AS (
  SELECT post_id, window_start, author_id,
         array_agg(user_id ORDER BY at DESC, user_id) AS users,
         array_agg(at ORDER BY at DESC, user_id) AS times
  FROM input
  GROUP BY post_id, window_start, author_id
)
INSERT INTO notifications AS n (recipient_id, post_id, window_start, window_end, likers, liked_at, next_attempt_at)
SELECT author_id, post_id, window_start, window_start + make_interval(secs => $5 / 1000.0), users, times,
       window_start + make_interval(secs => $5 / 1000.0)
FROM grouped
ON CONFLICT (post_id, window_start) DO UPDATE
-- Both arrays from one merge: each liker once (the stored time wins), newest first, untimed rows last.
SET (likers, liked_at) = (
      SELECT coalesce(array_agg(m.u ORDER BY m.t DESC NULLS LAST, m.u), '{}'),
             coalesce(array_agg(m.t ORDER BY m.t DESC NULLS LAST, m.u), '{}')
      FROM (
        SELECT DISTINCT ON (e.u) e.u, e.t FROM (
          SELECT u, t, 0 AS src FROM unnest(n.likers, n.liked_at) AS x (u, t)
          UNION ALL
          SELECT u, t, 1 FROM unnest(EXCLUDED.likers, EXCLUDED.liked_at) AS x (u, t)
        ) e
        WHERE e.u IS NOT NULL
        ORDER BY e.u, e.src
      ) m
    ),
    updated_at = now();
