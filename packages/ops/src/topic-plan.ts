/**
 * What `ensure-topic` must do to make a Kafka topic match its spec, decided from what the broker reports. Pure,
 * so every case (missing, too few or too many partitions, a different config) is unit-tested without Kafka.
 */

export const MIN_INSYNC_REPLICAS = 'min.insync.replicas';

export interface TopicSpec {
  topic: string;
  partitions: number;
  replicationFactor: number;
  minInsyncReplicas: number;
}

export interface ObservedTopic {
  partitions: number;
  /** Replicas per partition (the largest, should partitions differ). */
  replicationFactor: number;
  /** The effective min.insync.replicas (a topic override or the broker's default). */
  minInsyncReplicas: number;
  /** Configs set on the topic itself (dynamic topic configs), name → value. */
  overrides: Readonly<Record<string, string>>;
}

export type TopicAction =
  | {
      kind: 'create-topic';
      topic: string;
      partitions: number;
      replicationFactor: number;
      configs: Record<string, string>;
    }
  | { kind: 'add-partitions'; topic: string; from: number; to: number }
  | {
      kind: 'set-configs';
      topic: string;
      /** `from` is the effective value, which may have come from the broker's default. */
      changed: { name: string; from: string; to: string }[];
      /**
       * Every override the topic must end up with. Kafka's AlterConfigs (what ensure-topic sends) replaces the
       * whole set of overrides, so overrides set by someone else are carried over explicitly.
       */
      configs: Record<string, string>;
    };

export interface TopicPlan {
  actions: TopicAction[];
  /** What does not match the spec but is left alone, and why. */
  warnings: string[];
}

/** `observed` is undefined when the topic does not exist. */
export function planTopic(spec: TopicSpec, observed: ObservedTopic | undefined): TopicPlan {
  if (!observed) {
    return {
      actions: [
        {
          kind: 'create-topic',
          topic: spec.topic,
          partitions: spec.partitions,
          replicationFactor: spec.replicationFactor,
          configs: { [MIN_INSYNC_REPLICAS]: String(spec.minInsyncReplicas) },
        },
      ],
      warnings: [],
    };
  }

  const actions: TopicAction[] = [];
  const warnings: string[] = [];
  if (observed.partitions < spec.partitions) {
    actions.push({ kind: 'add-partitions', topic: spec.topic, from: observed.partitions, to: spec.partitions });
  } else if (observed.partitions > spec.partitions) {
    warnings.push(
      `topic ${spec.topic} has ${observed.partitions} partitions, more than the ${spec.partitions} asked for; ` +
        'Kafka cannot reduce partitions, so it is left as it is',
    );
  }

  if (observed.replicationFactor !== spec.replicationFactor) {
    warnings.push(
      `topic ${spec.topic} has replication factor ${observed.replicationFactor}, not ${spec.replicationFactor}; ` +
        'changing it needs a partition reassignment, which ensure-topic does not do',
    );
  }

  if (observed.minInsyncReplicas !== spec.minInsyncReplicas) {
    // Above the real replica count, acks=all could never be satisfied and every like would fail: keep the
    // old value and say why rather than break the producer.
    if (spec.minInsyncReplicas > observed.replicationFactor) {
      warnings.push(
        `topic ${spec.topic} keeps ${MIN_INSYNC_REPLICAS}=${observed.minInsyncReplicas}: ` +
          `${spec.minInsyncReplicas} is more than its ${observed.replicationFactor} replicas per partition`,
      );
    } else {
      const to = String(spec.minInsyncReplicas);
      actions.push({
        kind: 'set-configs',
        topic: spec.topic,
        changed: [{ name: MIN_INSYNC_REPLICAS, from: String(observed.minInsyncReplicas), to }],
        configs: { ...observed.overrides, [MIN_INSYNC_REPLICAS]: to },
      });
    }
  }
  return { actions, warnings };
}
