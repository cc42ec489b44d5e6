-- Up Migration
-- When each liker in a notification liked, parallel to `likers`: "newest first" must follow the time the API
-- accepted the likes, not the order the notifier happened to read partitions in (a post's likes are spread over
-- every partition). Rows written before this have no times; their likers sort after timed ones.
ALTER TABLE notifications ADD COLUMN liked_at timestamptz[] NOT NULL DEFAULT '{}';

-- Down Migration
ALTER TABLE notifications DROP COLUMN liked_at;
