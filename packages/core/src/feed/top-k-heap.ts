/**
 * Keeps the K largest items seen, by `score`, in a binary min-heap of size K: the root is the weakest item
 * kept, so a new item is compared with it once and, if stronger, replaces it in O(log K). Selecting K of N
 * candidates costs O(N log K) and O(K) memory instead of sorting all N.
 *
 * Written here rather than taken from a heap package: it is twenty lines, and the tie-break (`before`) has to
 * make results deterministic, which generic heaps leave to insertion order.
 */
export class TopKHeap<T> {
  private readonly items: T[] = [];

  /**
   * @param k how many to keep (0 keeps nothing)
   * @param before true when `a` ranks strictly above `b`; a total order, so equal scores still rank the same
   *   way on every run
   */
  constructor(
    readonly k: number,
    private readonly before: (a: T, b: T) => boolean,
  ) {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be a whole number >= 0, got ${k}`);
  }

  get size(): number {
    return this.items.length;
  }

  /** Offers an item; returns whether it was kept. */
  offer(item: T): boolean {
    if (this.k === 0) return false;
    if (this.items.length < this.k) {
      this.items.push(item);
      this.up(this.items.length - 1);
      return true;
    }
    if (!this.before(item, this.items[0]!)) return false;
    this.items[0] = item;
    this.down(0);
    return true;
  }

  /** Removes and returns the weakest item kept, or undefined when empty. */
  pop(): T | undefined {
    const last = this.items.pop();
    if (last === undefined || this.items.length === 0) return last;
    const root = this.items[0]!;
    this.items[0] = last;
    this.down(0);
    return root;
  }

  /** Empties the heap into an array, strongest first. */
  drain(): T[] {
    const out: T[] = new Array<T>(this.items.length);
    for (let i = out.length - 1; i >= 0; i--) out[i] = this.pop()!;
    return out;
  }

  // In a min-heap "smaller" is "ranks lower": a parent must never rank above its children.
  private up(i: number): void {
    const a = this.items;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(a[parent]!, a[i]!)) break;
      [a[parent], a[i]] = [a[i]!, a[parent]!];
      i = parent;
    }
  }

  private down(i: number): void {
    const a = this.items;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let weakest = i;
      if (l < a.length && this.before(a[weakest]!, a[l]!)) weakest = l;
      if (r < a.length && this.before(a[weakest]!, a[r]!)) weakest = r;
      if (weakest === i) return;
      [a[weakest], a[i]] = [a[i]!, a[weakest]!];
      i = weakest;
    }
  }
}
