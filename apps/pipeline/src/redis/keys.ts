import { createHash, randomBytes } from 'node:crypto';

/**
 * The one place Redis key names are made. Keys that a Lua script touches together share a hash tag so Redis
 * Cluster keeps them in one slot: `{p:<postId>}` for a post, `{u:<userId>}` for a user. Ids are validated
 * against ^[A-Za-z0-9_-]{1,64}$ before they get here, so they cannot contain braces or colons.
 */
const PREFIX = 'lp';

export const redisKeys = {
  /** Hash: author, created, count. */
  post: (postId: string) => `${PREFIX}:post:{p:${postId}}`,
  /** Set of user ids who like the post: the dedup set. */
  likers: (postId: string) => `${PREFIX}:likers:{p:${postId}}`,
  /** Scratch set where a warm or repair stages likers before swapping them in; unique per attempt. */
  likersStaging: (postId: string) => `${PREFIX}:likers-staging:{p:${postId}}:${randomBytes(6).toString('hex')}`,
  /** List of recent admission times: the sliding-window rate-limit log. */
  rateLog: (userId: string) => `${PREFIX}:rl:{u:${userId}}`,
  /** An idempotency record. The client's key is hashed: it is opaque, up to 255 bytes, and not ours to echo. */
  idempotency: (userId: string, key: string) =>
    `${PREFIX}:idem:{u:${userId}}:${createHash('sha256').update(key).digest('base64url')}`,
  /** Declared but never written when a request has no key: Lua scripts take a fixed number of keys. */
  idempotencyPlaceholder: (userId: string) => `${PREFIX}:idem:{u:${userId}}:-`,
  /** String: the feed-ranker's candidate snapshot (JSON), read by every like-API replica for GET /api/feed. */
  feedSnapshot: () => `${PREFIX}:feed:snapshot`,
} as const;
