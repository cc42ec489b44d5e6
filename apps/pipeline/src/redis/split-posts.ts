import { LRUCache } from 'lru-cache';

/** How a post's keys are laid out: unsplit (`shards` 1) or over `shards` sub-slots named by `epoch`. */
export interface PostLayout {
  shards: number;
  epoch: string;
}

export const UNSPLIT: PostLayout = { shards: 1, epoch: '' };

/**
 * What one process knows about split posts: their layout, so a like goes straight to its sub-slot, and their
 * summed count, so a like's answer need not read every sub-slot. Only split posts are held (an unknown post is
 * assumed unsplit; the base slot's script corrects that with "split"). A layout is trusted for `layoutTtlMs`:
 * a sub-slot fenced by the reconciler says "closed" at once, but a post whose base was lost and reinstalled
 * unsplit has sub-slots nobody fenced, and re-reading the layout bounds how long a replica writes there.
 */
export class SplitPosts {
  private readonly layouts: LRUCache<string, PostLayout>;
  private readonly counts: LRUCache<string, { value: number }>;
  private readonly refreshing = new Map<string, Promise<number | null>>();

  constructor(opts: { layoutTtlMs: number; countTtlMs: number; max: number }) {
    this.layouts = new LRUCache({ max: opts.max, ttl: opts.layoutTtlMs });
    this.counts = new LRUCache({ max: opts.max, ttl: opts.countTtlMs, allowStale: true });
  }

  layout(postId: string): PostLayout | undefined {
    return this.layouts.get(postId);
  }

  learn(postId: string, layout: PostLayout): void {
    if (layout.shards > 1) this.layouts.set(postId, layout);
    else this.forget(postId);
  }

  forget(postId: string): void {
    this.layouts.delete(postId);
    this.counts.delete(postId);
  }

  /**
   * The post's count after this process changed it by `delta`: the last summed count plus the changes made
   * since, re-summed (`sum`) when older than the count TTL. Between sums it misses other replicas' changes,
   * exactly as the count cache does for GET /count.
   */
  async countAfter(postId: string, delta: number, sum: () => Promise<number | null>): Promise<number> {
    const entry = this.counts.get(postId, { allowStale: true });
    const stale = entry === undefined || this.counts.getRemainingTTL(postId) <= 0;
    if (entry) entry.value += delta;
    if (stale) {
      const fresh = this.refresh(postId, sum);
      if (!entry) return (await fresh) ?? delta;
      void fresh.catch(() => undefined);
    }
    return entry!.value;
  }

  private refresh(postId: string, sum: () => Promise<number | null>): Promise<number | null> {
    let p = this.refreshing.get(postId);
    if (!p) {
      p = sum()
        .then((v) => {
          if (v !== null) this.counts.set(postId, { value: v });
          return v;
        })
        .finally(() => this.refreshing.delete(postId));
      this.refreshing.set(postId, p);
    }
    return p;
  }
}
