import { partitionLags } from '@likepipe/ops';
import type { Admin } from 'kafkajs';

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
  const [ends, offsets] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId: group, topics: [topic] }),
  ]);
  return partitionLags(ends, offsets.find((t) => t.topic === topic)?.partitions ?? []);
}
