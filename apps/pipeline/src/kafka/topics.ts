import type { Kafka } from 'kafkajs';

/**
 * Creates the topic if it is missing and grows its partition count if it is below `partitions` (Kafka cannot
 * shrink it). Idempotent; `npm run up` and the operator's bootstrap both call it.
 */
export async function ensureTopic(
  kafka: Kafka,
  topic: string,
  partitions: number,
  replicationFactor: number,
  minInsyncReplicas: number,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = await admin.listTopics();
    if (!existing.includes(topic)) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic,
            numPartitions: partitions,
            replicationFactor,
            configEntries: [{ name: 'min.insync.replicas', value: String(minInsyncReplicas) }],
          },
        ],
      });
      return;
    }
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    const current = meta.topics[0]?.partitions.length ?? 0;
    if (current < partitions) await admin.createPartitions({ topicPartitions: [{ topic, count: partitions }] });
  } finally {
    await admin.disconnect();
  }
}
