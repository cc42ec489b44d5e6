import type { FeedSnapshot, FeedSnapshotSource } from '@likepipe/core';
import type { Cluster } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { redisKeys } from './keys.js';

const snapshotSchema = z.object({
  computedAt: z.string(),
  candidates: z.array(
    z.object({ postId: z.string(), authorId: z.string(), createdAt: z.string(), velocity: z.number() }),
  ),
});

/**
 * Where the feed-ranker publishes its candidate snapshot: one Redis key every API replica reads. It expires
 * (`ttlMs`) so a feed never ranks on velocities older than the window it claims to show once every ranker has
 * stopped: the feed then lists nothing and says `computedAt: null`.
 */
export class RedisFeedSnapshots {
  constructor(private readonly redis: Cluster) {}

  async publish(snapshot: FeedSnapshot, ttlMs: number): Promise<void> {
    await this.redis.set(redisKeys.feedSnapshot(), JSON.stringify(snapshot), 'PX', ttlMs);
  }

  async read(): Promise<FeedSnapshot | null> {
    const raw = await this.redis.get(redisKeys.feedSnapshot());
    if (raw === null) return null;
    const parsed = snapshotSchema.safeParse(JSON.parse(raw));
    // A snapshot in a shape this version does not know (a rolling upgrade) is no snapshot, not an error.
    return parsed.success ? parsed.data : null;
  }
}

/**
 * Every feed request needs the snapshot; reading it from Redis each time would put one hot key under all the
 * feed traffic. lru-cache's fetch() keeps it in process for `ttlMs`, lets concurrent misses share one Redis
 * read, and serves the last snapshot while Redis is unreachable rather than failing the feed.
 */
export class CachedFeedSnapshots implements FeedSnapshotSource {
  private readonly cache: LRUCache<'snapshot', { snapshot: FeedSnapshot | null }>;

  constructor(source: RedisFeedSnapshots, ttlMs: number) {
    this.cache = new LRUCache({
      max: 1,
      ttl: ttlMs,
      allowStaleOnFetchRejection: true,
      noDeleteOnFetchRejection: true,
      fetchMethod: async () => ({ snapshot: await source.read() }),
    });
  }

  async current(): Promise<FeedSnapshot | null> {
    const v = await this.cache.fetch('snapshot');
    return v?.snapshot ?? null;
  }
}
