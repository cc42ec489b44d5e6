/**
 * Consumer lag of a group on a topic: for each partition, the events written but not yet committed by the
 * group. A partition the group never committed counts from its low watermark (all that is retained).
 */
export function consumerLag(
  ends: readonly { partition: number; high: string; low: string }[],
  committed: readonly { partition: number; offset: string }[],
): number {
  const done = new Map(committed.map((c) => [c.partition, BigInt(c.offset)]));
  let lag = 0n;
  for (const e of ends) {
    const high = BigInt(e.high);
    const at = done.get(e.partition);
    const from = at === undefined || at < 0n ? BigInt(e.low) : at;
    if (high > from) lag += high - from;
  }
  return Number(lag);
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
