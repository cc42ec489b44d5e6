/**
 * Decides when the reconciler may overwrite a post's Redis state with the truth from Postgres.
 *
 * Redis runs ahead of Postgres by up to a flush interval while likes flow, so a mismatch alone is not drift.
 * A mismatch that is exactly the same on two checks at least `minAgeMs` apart is: nothing changed the post in
 * between, so the pipeline is quiet for it and Postgres holds every acknowledged event. Repairing only then
 * never fights live traffic, and invariant 2 holds within about two reconcile periods of quiet.
 */
export type ReconcileVerdict = 'in_sync' | 'watch' | 'repair';

export class StableMismatchPolicy {
  private readonly seen = new Map<string, { redis: number; truth: number; at: number }>();

  constructor(
    private readonly minAgeMs: number,
    private readonly maxTracked = 100_000,
  ) {}

  observe(postId: string, redisCount: number, truthCount: number, now: number): ReconcileVerdict {
    if (redisCount === truthCount) {
      this.seen.delete(postId);
      return 'in_sync';
    }
    const prev = this.seen.get(postId);
    if (prev && prev.redis === redisCount && prev.truth === truthCount && now - prev.at >= this.minAgeMs) {
      this.seen.delete(postId);
      return 'repair';
    }
    if (!prev || prev.redis !== redisCount || prev.truth !== truthCount) {
      if (this.seen.size >= this.maxTracked) this.seen.delete(this.seen.keys().next().value!);
      this.seen.set(postId, { redis: redisCount, truth: truthCount, at: now });
    }
    return 'watch';
  }

  forget(postId: string): void {
    this.seen.delete(postId);
  }
}
