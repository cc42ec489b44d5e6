import { MIN_INSYNC_REPLICAS, type ObservedTopic, type TopicAction } from '@likepipe/ops';
import { ConfigResourceTypes, ConfigSources, findErrorBy, type Admin } from '@platformatic/kafka';
import { TopicLeadersPendingError } from '../errors/topic-leaders-pending-error.js';

/** Reads what the broker knows about a topic; undefined when it does not exist. */
export async function observeTopic(admin: Admin, topic: string): Promise<ObservedTopic | undefined> {
  // Listing first: asking for the metadata of a missing topic is retried by the client as stale metadata.
  if (!(await admin.listTopics()).includes(topic)) return undefined;
  // Fresh, not the client's cached metadata: a change made a moment ago must show.
  const meta = await admin.metadata({ topics: [topic], forceUpdate: true });
  const partitions = meta.topics.get(topic)?.partitions ?? [];
  const [resource] = await admin.describeConfigs({
    resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic }],
    includeSynonyms: false,
  });
  const entries = resource?.configs ?? [];
  const overrides: Record<string, string> = {};
  for (const e of entries) {
    // Sensitive values come back null; a topic has none, and none could be carried over anyway.
    if (e.configSource === ConfigSources.DYNAMIC_TOPIC_CONFIG && !e.isSensitive && typeof e.value === 'string') {
      overrides[e.name] = e.value;
    }
  }
  const minIsr = entries.find((e) => e.name === MIN_INSYNC_REPLICAS)?.value;
  return {
    partitions: partitions.length,
    replicationFactor: Math.max(0, ...partitions.map((p) => p.replicas.length)),
    // The broker always reports an effective value; 1 is Kafka's own default should it ever not.
    minInsyncReplicas: minIsr === undefined || minIsr === null ? 1 : Number(minIsr),
    overrides,
  };
}

/** Resolves false when there was nothing to do after all (another run created the topic first). */
export async function applyTopicAction(admin: Admin, action: TopicAction): Promise<boolean> {
  switch (action.kind) {
    case 'create-topic':
      try {
        await admin.createTopics({
          topics: [{ topic: action.topic, partitions: action.partitions, replicas: action.replicationFactor }],
          configs: Object.entries(action.configs).map(([name, value]) => ({ name, value })),
        });
      } catch (err) {
        if (findErrorBy(err as Error, 'apiId', 'TOPIC_ALREADY_EXISTS')) return false;
        throw err;
      }
      return true;
    case 'add-partitions':
      await admin.createPartitions({ topics: [{ name: action.topic, count: action.to }] });
      return true;
    case 'set-configs':
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            resourceType: ConfigResourceTypes.TOPIC,
            resourceName: action.topic,
            configs: Object.entries(action.configs).map(([name, value]) => ({ name, value })),
          },
        ],
      });
      return true;
  }
}

/** Throws while some partition of the topic has no leader yet (just created, or its leader just lost). */
export async function assertLeaders(admin: Admin, topic: string): Promise<void> {
  const meta = await admin.metadata({ topics: [topic], forceUpdate: true });
  const partitions = meta.topics.get(topic)?.partitions ?? [];
  const leaderless = partitions.filter((p) => p.leader < 0).length;
  if (partitions.length === 0 || leaderless > 0) throw new TopicLeadersPendingError(topic, leaderless);
}
