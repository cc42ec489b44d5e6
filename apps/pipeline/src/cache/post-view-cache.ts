import type { PostView, PostViewCache } from '@likepipe/core';
import { LRUCache } from 'lru-cache';
import { countCacheEntries, countCacheLookups } from '../observability/metrics.js';

type Entry = { view: PostView | null };
type Load = () => Promise<PostView | null>;

/**
 * The like-API's hot-read cache for counts, on lru-cache: its fetch() gives the TTL, the size bound, and the
 * single flight (concurrent misses for a key share one fetchMethod call) that a viral post needs. A post that
 * does not exist is remembered for the TTL too, so a storm of reads for a bad id does not reach Redis either.
 */
export class LruPostViewCache implements PostViewCache {
  private readonly cache: LRUCache<string, Entry, Load>;

  constructor(opts: { max: number; ttlMs: number }) {
    this.cache = new LRUCache<string, Entry, Load>({
      max: opts.max,
      ttl: opts.ttlMs,
      fetchMethod: async (_postId, _stale, { context }) => ({ view: await context() }),
    });
  }

  async get(postId: string, load: Load): Promise<PostView | null> {
    const status: LRUCache.Status<string, Entry, Load> = {};
    try {
      const entry = await this.cache.fetch(postId, { context: load, status });
      return entry?.view ?? null;
    } finally {
      // hit: served from memory; inflight: joined a read already under way; miss/stale: this call read Redis.
      countCacheLookups.inc({ result: status.fetch ?? 'miss' });
      countCacheEntries.set(this.cache.size);
    }
  }

  setCount(postId: string, likeCount: number): void {
    const entry = this.cache.get(postId, { allowStale: false });
    if (!entry?.view) return;
    this.cache.set(postId, { view: { ...entry.view, likeCount } }, { noUpdateTTL: true });
  }
}
