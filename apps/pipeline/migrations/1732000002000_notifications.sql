-- Up Migration
-- Notifications (the notifier role): one row per post per coalescing window, naming who liked it then.
CREATE TABLE notifications (
  id               bigserial   PRIMARY KEY,
  recipient_id     text        NOT NULL,
  post_id          text        NOT NULL,
  window_start     timestamptz NOT NULL,
  window_end       timestamptz NOT NULL,
  -- Distinct likers, newest first; empty when every like in the window was taken back.
  likers           text[]      NOT NULL DEFAULT '{}',
  updated_at       timestamptz NOT NULL DEFAULT now(),
  -- Push delivery to the webhook (when one is configured), after the window closes.
  delivered_at     timestamptz,
  delivery_attempts integer    NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL,
  UNIQUE (post_id, window_start)
);
CREATE INDEX notifications_recipient_idx ON notifications (recipient_id, window_start DESC);
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at) WHERE delivered_at IS NULL;

-- Down Migration
DROP TABLE notifications;
