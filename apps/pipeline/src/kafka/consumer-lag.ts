import { partitionLags } from '@likepipe/ops';
import { ListOffsetTimestamps, type Admin } from '@platformatic/kafka';

/** A partition's first and next offsets (low and high watermarks), as decimal strings. */
export interface PartitionEnds {
  partition: number;
  high: string;
  low: string;
}

/** A group's committed offset on one partition; `-1` where it never committed. */
export interface CommittedOffset {
  partition: number;
  offset: string;
}

/** Every partition's watermarks, read from the partition leaders (the partitions are listed from metadata). */
export async function readTopicEnds(admin: Admin, topic: string): Promise<PartitionEnds[]> {
  const meta = await admin.metadata({ topics: [topic] });
  const count = meta.topics.get(topic)?.partitionsCount ?? 0;
  const at = (timestamp: bigint) => ({
    topics: [{ name: topic, partitions: Array.from({ length: count }, (_, i) => ({ partitionIndex: i, timestamp })) }],
  });
  const [latest, earliest] = await Promise.all([
    admin.listOffsets(at(ListOffsetTimestamps.LATEST)),
    admin.listOffsets(at(ListOffsetTimestamps.EARLIEST)),
  ]);
  const low = new Map((earliest[0]?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]));
  return (latest[0]?.partitions ?? [])
    .map((p) => ({ partition: p.partitionIndex, high: String(p.offset), low: String(low.get(p.partitionIndex) ?? 0n) }))
    .sort((a, b) => a.partition - b.partition);
}

/** The offsets `group` has committed on `topic`'s partitions. */
export async function readCommittedOffsets(admin: Admin, group: string, topic: string): Promise<CommittedOffset[]> {
  const [g] = await admin.listConsumerGroupOffsets({ groups: [group] });
  return (g?.topics.find((t) => t.name === topic)?.partitions ?? [])
    .map((p) => ({ partition: p.partitionIndex, offset: String(p.committedOffset) }))
    .sort((a, b) => a.partition - b.partition);
}

/**
 * A consumer group's lag on `topic` per partition (end offset minus committed offset, with the committed
 * offset itself), read through the admin API: it keeps growing while the group's consumers are stuck or
 * stopped.
 */
export async function readPartitionLags(
  admin: Admin,
  group: string,
  topic: string,
): Promise<{ partition: number; committed: string; lag: number }[]> {
  const [ends, committed] = await Promise.all([readTopicEnds(admin, topic), readCommittedOffsets(admin, group, topic)]);
  return partitionLags(ends, committed);
}
