import { MIN_INSYNC_REPLICAS, type ObservedTopic, type TopicAction } from '@likepipe/ops';
import kafkajs, { type Admin } from 'kafkajs';

// kafkajs is CommonJS and Node's ESM loader sees only some of its exports by name (not these enums).
const { ConfigResourceTypes, ConfigSource } = kafkajs;

/** Reads what the broker knows about a topic; undefined when it does not exist. */
export async function observeTopic(admin: Admin, topic: string): Promise<ObservedTopic | undefined> {
  // Listing first: asking for the metadata of a missing topic would be retried by kafkajs as "unknown topic".
  if (!(await admin.listTopics()).includes(topic)) return undefined;
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  const partitions = topics.find((t) => t.name === topic)?.partitions ?? [];
  const { resources } = await admin.describeConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
    includeSynonyms: false,
  });
  const entries = resources[0]?.configEntries ?? [];
  const overrides: Record<string, string> = {};
  for (const e of entries) {
    // Sensitive values come back null; a topic has none, and none could be carried over anyway.
    if (e.configSource === ConfigSource.TOPIC_CONFIG && !e.isSensitive) overrides[e.configName] = e.configValue;
  }
  const minIsr = entries.find((e) => e.configName === MIN_INSYNC_REPLICAS)?.configValue;
  return {
    partitions: partitions.length,
    replicationFactor: Math.max(0, ...partitions.map((p) => p.replicas.length)),
    // The broker always reports an effective value; 1 is Kafka's own default should it ever not.
    minInsyncReplicas: minIsr === undefined ? 1 : Number(minIsr),
    overrides,
  };
}

/** Resolves false when there was nothing to do after all (another run created the topic first). */
export async function applyTopicAction(admin: Admin, action: TopicAction): Promise<boolean> {
  switch (action.kind) {
    case 'create-topic':
      return admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic: action.topic,
            numPartitions: action.partitions,
            replicationFactor: action.replicationFactor,
            configEntries: Object.entries(action.configs).map(([name, value]) => ({ name, value })),
          },
        ],
      });
    case 'add-partitions':
      await admin.createPartitions({ topicPartitions: [{ topic: action.topic, count: action.to }] });
      return true;
    case 'set-configs':
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: action.topic,
            configEntries: Object.entries(action.configs).map(([name, value]) => ({ name, value })),
          },
        ],
      });
      return true;
  }
}
