-- Up Migration
-- Analytics (the analytics role): likes and unlikes per post per minute, written in batches.
CREATE TABLE like_stats_minute (
  post_id text        NOT NULL,
  minute  timestamptz NOT NULL CHECK (date_trunc('minute', minute) = minute),
  likes   bigint      NOT NULL DEFAULT 0 CHECK (likes >= 0),
  unlikes bigint      NOT NULL DEFAULT 0 CHECK (unlikes >= 0),
  PRIMARY KEY (post_id, minute)
);

-- How far each consumer group has applied each partition, written in the same transaction as its effects:
-- a batch Kafka redelivers (a crash between COMMIT and the offset commit, a rebalance) is recognised by its
-- offsets and skipped, so additive counters stay exact under replay.
CREATE TABLE consumer_progress (
  group_id    text    NOT NULL,
  topic       text    NOT NULL,
  partition   integer NOT NULL,
  next_offset bigint  NOT NULL,
  PRIMARY KEY (group_id, topic, partition)
);

-- Down Migration
DROP TABLE consumer_progress;
DROP TABLE like_stats_minute;
