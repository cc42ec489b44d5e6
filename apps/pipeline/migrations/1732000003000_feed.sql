-- Up Migration
-- The feed (the feed-ranker role and GET /api/feed).

-- Who follows whom: written by PUT/DELETE /api/users/{id}/follow, read per feed request for the viewer.
CREATE TABLE follows (
  follower_id text        NOT NULL,
  followee_id text        NOT NULL,
  created_at  timestamptz NOT NULL,
  PRIMARY KEY (follower_id, followee_id),
  CHECK (follower_id <> followee_id)
);

-- Like velocity: likes minus unlikes per post per minute, the sliding window's buckets. Written by the
-- feed-ranker in batches, once per Kafka offset (consumer_progress); rows older than the window are pruned.
CREATE TABLE feed_velocity_minute (
  post_id text        NOT NULL,
  minute  timestamptz NOT NULL CHECK (date_trunc('minute', minute) = minute),
  net     bigint      NOT NULL,
  PRIMARY KEY (post_id, minute)
);
CREATE INDEX feed_velocity_minute_minute_idx ON feed_velocity_minute (minute);

-- How much each user likes each author's posts (net likes): the interaction half of the relationship term.
-- Written by the feed-ranker in the same transaction as the velocity buckets.
CREATE TABLE user_author_affinity (
  user_id   text   NOT NULL,
  author_id text   NOT NULL,
  likes     bigint NOT NULL,
  PRIMARY KEY (user_id, author_id)
);

-- The newest posts are feed candidates even before their first like.
CREATE INDEX posts_created_at_idx ON posts (created_at DESC);

-- Down Migration
DROP INDEX posts_created_at_idx;
DROP TABLE user_author_affinity;
DROP TABLE feed_velocity_minute;
DROP TABLE follows;
