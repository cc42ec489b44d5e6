/**
 * Decides when the reconciler may overwrite a post's Redis state with the truth from Postgres.
 *
 * Redis runs ahead of Postgres by up to a flush interval while likes flow, so a mismatch alone is not drift.
 * A mismatch that is exactly the same on two checks at least `minAgeMs` apart means nothing changed the post's
 * Redis or Postgres state in between, so live traffic is not moving it. That alone does not make Postgres
 * right: with the truth-writer down or lagging, Postgres is just as still, only stale, and Redis is the side
 * that holds the acknowledged likes. So a stable mismatch is drift only when, in addition, the truth is caught
 * up (the truth-writer has consumed every event that was on the topic a check earlier): the caller says so
 * with `mayRepair`. Until then the mismatch is held, its first sighting kept, so it is repaired on the first
 * check after the truth-writer catches up rather than one more interval later. Invariant 2 thus holds within
 * about two reconcile periods of quiet once the truth-writer has caught up.
 */
export type ReconcileVerdict = 'in_sync' | 'watch' | 'repair';

export class StableMismatchPolicy {
  private readonly seen = new Map<string, { redis: number; truth: number; at: number }>();

  constructor(
    private readonly minAgeMs: number,
    private readonly maxTracked = 100_000,
  ) {}

  /** `mayRepair`: Postgres holds every event produced so far; without it a stable mismatch is only watched. */
  observe(postId: string, redisCount: number, truthCount: number, now: number, mayRepair: boolean): ReconcileVerdict {
    if (redisCount === truthCount) {
      this.seen.delete(postId);
      return 'in_sync';
    }
    const prev = this.seen.get(postId);
    if (prev && prev.redis === redisCount && prev.truth === truthCount && now - prev.at >= this.minAgeMs) {
      if (!mayRepair) return 'watch';
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
