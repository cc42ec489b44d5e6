/**
 * When a split post has cooled enough to go back to one slot: its served count has not moved for `coldMs`
 * (every check in between saw the same number). A post whose likes and unlikes cancel out looks cold too,
 * which is harmless: un-splitting is always safe, only a little work.
 */
export class SplitCooling {
  private readonly still = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly coldMs: number,
    private readonly maxTracked = 100_000,
  ) {}

  /** Records a check of a split post; true once its count has stood still for coldMs. */
  cold(postId: string, count: number, now: number): boolean {
    const prev = this.still.get(postId);
    if (prev && prev.count === count) return now - prev.since >= this.coldMs;
    if (!prev && this.still.size >= this.maxTracked) this.still.delete(this.still.keys().next().value!);
    this.still.set(postId, { count, since: now });
    return false;
  }

  forget(postId: string): void {
    this.still.delete(postId);
  }
}
