-- Up Migration
-- The truth layer (DESIGN.md, Postgres). like_count is written only by the truth-writer, in batches.
CREATE TABLE posts (
  id            text        PRIMARY KEY,
  author_id     text        NOT NULL,
  created_at    timestamptz NOT NULL,
  like_count    bigint      NOT NULL DEFAULT 0 CHECK (like_count >= 0),
  -- When a flush last touched the post: the reconciler checks recently active posts first.
  last_liked_at timestamptz
);
CREATE INDEX posts_last_liked_at_idx ON posts (last_liked_at) WHERE last_liked_at IS NOT NULL;

CREATE TABLE likes (
  post_id    text        NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  user_id    text        NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (post_id, user_id)
);

-- Posts whose Redis state missed events (the API bypassed Redis): written by the truth-writer in the same
-- transaction as the events, drained by the reconciler.
CREATE TABLE redis_repairs (
  post_id      text        PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
  requested_at timestamptz NOT NULL
);

-- Down Migration
DROP TABLE redis_repairs;
DROP TABLE likes;
DROP TABLE posts;
