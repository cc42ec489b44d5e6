import { consumerLag } from '@likepipe/ops';
import type { Admin } from 'kafkajs';

/**
 * A consumer group's total lag on `topic` (end offsets minus committed offsets, over every partition), read
 * through the admin API: it keeps growing while the group's consumers are stuck or stopped.
 */
export async function readConsumerLag(admin: Admin, group: string, topic: string): Promise<number> {
  const [ends, offsets] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId: group, topics: [topic] }),
  ]);
  const committed = offsets.find((t) => t.topic === topic)?.partitions ?? [];
  return consumerLag(ends, committed);
}
