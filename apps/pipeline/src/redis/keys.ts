import { createHash, randomBytes } from 'node:crypto';

/**
 * The one place Redis key names are made. Keys that a Lua script touches together share a hash tag so Redis
 * Cluster keeps them in one slot: `{p:<postId>}` for a post, `{u:<userId>}` for a user. Ids are validated
 * against ^[A-Za-z0-9_-]{1,64}$ before they get here, so they cannot contain braces or colons.
 */
const PREFIX = 'lp';

/** FNV-1a, 32 bits: a cheap, stable hash for placing users and sub-slots. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A split post's sub-slot k of split epoch `epoch`. `~` and `.` are outside the id alphabet, so this tag never
 * equals another post's `{p:<id>}`; the epoch makes every split start on fresh keys, so nothing a stale API
 * writes to an earlier split's sub-slots is ever read again. The trailing hash of (epoch, k) is what spreads
 * the sub-slots: CRC16 is linear, so tags that differ only in k's digit land in a few neighbouring slot ranges,
 * that is on two or three masters, whatever the epoch.
 */
const shardTag = (postId: string, epoch: string, k: number) =>
  `{p:${postId}~${epoch}.${k}.${fnv1a(`${epoch}.${k}`).toString(36)}}`;

/**
 * Which sub-slot of a split post holds a user's like: FNV-1a of the user id, mod the post's shard count. It
 * must never change for a (post, split), so every API replica and the reconciler compute it the same way.
 */
export function shardOf(userId: string, shards: number): number {
  return fnv1a(userId) % shards;
}

export const redisKeys = {
  /** Hash: author, created, count. */
  post: (postId: string) => `${PREFIX}:post:{p:${postId}}`,
  /** Set of user ids who like the post: the dedup set. */
  likers: (postId: string) => `${PREFIX}:likers:{p:${postId}}`,
  /** Scratch set where a warm or repair stages likers before swapping them in; unique per attempt. */
  likersStaging: (postId: string) => `${PREFIX}:likers-staging:{p:${postId}}:${randomBytes(6).toString('hex')}`,
  /** Hash in a split post's sub-slot: `partial` (its share of the count, may be negative), `closed` (fenced). */
  shard: (postId: string, epoch: string, k: number) => `${PREFIX}:shard:${shardTag(postId, epoch, k)}`,
  /** Set in a sub-slot: users of this sub-slot who like the post and were not in the frozen base likers set. */
  shardLikers: (postId: string, epoch: string, k: number) => `${PREFIX}:likers:${shardTag(postId, epoch, k)}`,
  /** Set in a sub-slot: users of the frozen base likers set who unliked after the split. */
  shardUnliked: (postId: string, epoch: string, k: number) => `${PREFIX}:unliked:${shardTag(postId, epoch, k)}`,
  /** Set in a sub-slot: this sub-slot's share of the frozen base likers set, copied there by the seeder. */
  shardBased: (postId: string, epoch: string, k: number) => `${PREFIX}:based:${shardTag(postId, epoch, k)}`,
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
