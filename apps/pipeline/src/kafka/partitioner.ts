import { compatibilityPartitioner } from '@platformatic/kafka';

/**
 * Which partition of a topic with `partitions` partitions a message keyed `key` goes to: murmur2 masked to 31
 * bits, as the Java client and kafkajs place keys. @platformatic/kafka's default partitioner takes the hash
 * unsigned instead, which would move a (post, user) key to another partition than its older, maybe unread,
 * events; the producer therefore uses `compatibilityPartitioner`, and whoever needs to know where a key went
 * (tests, the chaos injector looking for the leader to kill) asks here.
 */
export function partitionOf(key: string, partitions: number): number {
  return compatibilityPartitioner({ topic: '', key }, Buffer.from(key)) % partitions;
}
