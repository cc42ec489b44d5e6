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
