/**
 * Consumer lag of a group on a topic, per partition: the events written but not yet committed by the group. A
 * partition the group never committed (offset `-1`, or not listed) counts from its low watermark (all that is
 * retained).
 */
export function partitionLags(
  ends: readonly { partition: number; high: string; low: string }[],
  committed: readonly { partition: number; offset: string }[],
): { partition: number; committed: string; lag: number }[] {
  const done = new Map(committed.map((c) => [c.partition, c.offset]));
  return ends.map((e) => {
    const offset = done.get(e.partition) ?? '-1';
    const at = BigInt(offset);
    const from = at < 0n ? BigInt(e.low) : at;
    const high = BigInt(e.high);
    return { partition: e.partition, committed: offset, lag: high > from ? Number(high - from) : 0 };
  });
}

/** The group's lag on the topic: `partitionLags` summed over every partition. */
export function consumerLag(
  ends: readonly { partition: number; high: string; low: string }[],
  committed: readonly { partition: number; offset: string }[],
): number {
  return partitionLags(ends, committed).reduce((n, p) => n + p.lag, 0);
}

/**
 * Whether a group has committed, on every partition, at least up to `marks` (end offsets read earlier): then
 * everything that was on the topic when the marks were read has been consumed and applied, however much has
 * arrived since. A partition the group never committed counts from its low watermark.
 */
export function committedUpTo(
  marks: readonly { partition: number; high: string; low: string }[],
  committed: readonly { partition: number; offset: string }[],
): boolean {
  const done = new Map(committed.map((c) => [c.partition, BigInt(c.offset)]));
  return marks.every((m) => {
    const at = done.get(m.partition);
    const from = at === undefined || at < 0n ? BigInt(m.low) : at;
    return from >= BigInt(m.high);
  });
}
