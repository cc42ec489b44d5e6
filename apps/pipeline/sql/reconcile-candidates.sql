-- reconcile-candidates: the posts one reconciler pass checks, bounded: posts queued for repair (their events
-- bypassed Redis), posts a flush touched recently, and the next page of a slow sweep over all posts.
-- Inputs:  $1 int max queued, $2 interval "recent", $3 int max recent, $4 text sweep cursor (last id seen,
--          '' to start), $5 int sweep page size
-- Output:  rows: id, like_count, source ('repair' | 'recent' | 'sweep'), requested_at (for 'repair' rows)
(SELECT p.id, p.like_count, 'repair' AS source, r.requested_at
 FROM redis_repairs r JOIN posts p ON p.id = r.post_id
 ORDER BY r.requested_at
 LIMIT $1)
UNION ALL
(SELECT p.id, p.like_count, 'recent', NULL
 FROM posts p
 WHERE p.last_liked_at > now() - $2::interval
 ORDER BY p.last_liked_at DESC
 LIMIT $3)
UNION ALL
(SELECT p.id, p.like_count, 'sweep', NULL
 FROM posts p
 WHERE p.id > $4
 ORDER BY p.id
 LIMIT $5);
